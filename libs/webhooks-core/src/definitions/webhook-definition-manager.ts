import { Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { WebhookValidationError } from '../errors';
import { WebhookFeatureChecker } from '../features/webhook-feature-checker';
import { loadDefinitionsFile } from './file-webhook-definitions';
import { WebhookDefinition, WebhookDefinitionContext, WebhookGroupDefinition } from './webhook-definition';
import { IWebhookDefinitionProvider, WebhookDefinitionProvider } from './webhook-definition-provider';
import { isValidWebhookName, isWildcardPattern, patternMatches } from './webhook-name-pattern';

export const WEBHOOKS_DEFINITIONS_FILE = Symbol('WEBHOOKS_DEFINITIONS_FILE');

/**
 * Holds every webhook definition: from providers discovered in the application and from the definitions
 * file named in configuration. Built once at start-up; lookups are in memory.
 */
@Injectable()
export class WebhookDefinitionManager implements OnModuleInit {
  private readonly logger = new Logger(WebhookDefinitionManager.name);
  private groups: WebhookGroupDefinition[] = [];
  private webhooks = new Map<string, WebhookDefinition>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly featureChecker: WebhookFeatureChecker,
    @Optional() @Inject(WEBHOOKS_DEFINITIONS_FILE) private readonly definitionsFile?: string | null,
  ) {}

  async onModuleInit(): Promise<void> {
    const context = new WebhookDefinitionContext();
    const providers = this.discovery.getProviders({ metadataKey: WebhookDefinitionProvider.KEY });
    for (const wrapper of providers) {
      await (wrapper.instance as IWebhookDefinitionProvider).define(context);
    }
    if (this.definitionsFile) await loadDefinitionsFile(this.definitionsFile, context);
    ({ groups: this.groups, webhooks: this.webhooks } = context.build());
    this.logger.log(`${this.webhooks.size} webhook definitions in ${this.groups.length} groups`);
  }

  getOrNull(name: string): WebhookDefinition | null {
    return this.webhooks.get(name) ?? null;
  }

  getAll(): WebhookDefinition[] {
    return [...this.webhooks.values()];
  }

  getGroups(): WebhookGroupDefinition[] {
    return this.groups;
  }

  async isAvailable(tenantId: string | null, definition: WebhookDefinition): Promise<boolean> {
    return this.featureChecker.areAllGranted(tenantId, definition.requiredFeatures);
  }

  /** The definitions the tenant's features allow. */
  async getAvailable(tenantId: string | null): Promise<WebhookDefinition[]> {
    const all = this.getAll();
    const allowed = await Promise.all(all.map((d) => this.isAvailable(tenantId, d)));
    return all.filter((_, i) => allowed[i]);
  }

  /**
   * Checks the names a subscription asks for: each is a defined webhook the tenant may see, `*`, or a prefix
   * wildcard that selects at least one such webhook.
   */
  async assertSubscribable(tenantId: string | null, patterns: readonly string[], field = 'webhooks'): Promise<void> {
    const available = await this.getAvailable(tenantId);
    patterns.forEach((pattern, i) => {
      const at = `${field}[${i}]`;
      if (isWildcardPattern(pattern)) {
        if (!available.some((d) => patternMatches(pattern, d.name))) {
          throw new WebhookValidationError(at, `'${pattern}' matches no webhook available to this tenant`);
        }
        return;
      }
      if (!isValidWebhookName(pattern) || !this.webhooks.has(pattern)) {
        throw new WebhookValidationError(at, `unknown webhook '${pattern}'`);
      }
      if (!available.some((d) => d.name === pattern)) {
        throw new WebhookValidationError(at, `webhook '${pattern}' requires features this tenant does not have`);
      }
    });
  }
}
