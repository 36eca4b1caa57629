import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { WebhookDefinitionError, WebhookValidationError } from '../errors';
import { WebhookFeatureChecker } from '../features/webhook-feature-checker';
import { WEBHOOKS_OPTIONS, WebhooksOptions } from '../options/webhooks-options';
import { WebhookDataSchemas } from '../schemas/webhook-data-schemas';
import { loadDefinitionsFile } from './file-webhook-definitions';
import { WebhookDefinition, WebhookDefinitionContext, WebhookGroupDefinition } from './webhook-definition';
import { IWebhookDefinitionProvider, WebhookDefinitionProvider } from './webhook-definition-provider';
import { StoredWebhookDefinitions, WebhookDefinitionStore } from './webhook-definition-store';
import { isValidWebhookName, isWildcardPattern, patternMatches } from './webhook-name-pattern';

export const WEBHOOKS_DEFINITIONS_FILE = Symbol('WEBHOOKS_DEFINITIONS_FILE');

/**
 * Holds every webhook definition: from providers discovered in the application, from the definitions file
 * named in configuration, and from the WebhookDefinitionStore (when one is provided). Lookups are in memory,
 * so publishing never asks the database. Stored definitions are reloaded at once after a change made through
 * this process, and within `definitionsRefreshIntervalMs` after one made by another process (a cheap read
 * of the store's change counter).
 */
@Injectable()
export class WebhookDefinitionManager implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDefinitionManager.name);
  private staticGroups: WebhookGroupDefinition[] = [];
  private groups: WebhookGroupDefinition[] = [];
  private webhooks = new Map<string, WebhookDefinition>();
  private storedVersion: string | null = null;
  private refreshTimer?: NodeJS.Timeout;
  private refreshing: Promise<void> | null = null;
  private store?: WebhookDefinitionStore;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly featureChecker: WebhookFeatureChecker,
    private readonly schemas: WebhookDataSchemas,
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
    @Optional() @Inject(WEBHOOKS_DEFINITIONS_FILE) private readonly definitionsFile?: string | null,
  ) {}

  async onModuleInit(): Promise<void> {
    const context = new WebhookDefinitionContext();
    const providers = this.discovery.getProviders({ metadataKey: WebhookDefinitionProvider.KEY });
    for (const wrapper of providers) {
      await (wrapper.instance as IWebhookDefinitionProvider).define(context);
    }
    context.source = 'file';
    if (this.definitionsFile) await loadDefinitionsFile(this.definitionsFile, context);
    ({ groups: this.staticGroups, webhooks: this.webhooks } = context.build());
    for (const definition of this.webhooks.values()) this.assertUsableSchema(definition);
    this.groups = this.staticGroups;
    this.logger.log(`${this.webhooks.size} webhook definitions in ${this.groups.length} groups from code and file`);
  }

  /**
   * Adds the definitions of a store (the persistence module hands it over as it starts, after this manager has
   * read code and file), and keeps them fresh.
   */
  async attachStore(store: WebhookDefinitionStore): Promise<void> {
    this.store = store;
    await this.reload();
    clearInterval(this.refreshTimer);
    this.refreshTimer = setInterval(() => void this.refreshIfChanged(), this.options.definitionsRefreshIntervalMs);
    this.refreshTimer.unref();
    this.logger.log(`${this.webhooks.size} webhook definitions in ${this.groups.length} groups with the stored ones`);
  }

  /** A schema from code or the file that does not compile, or an example that breaks it, stops start-up. */
  private assertUsableSchema({ name, source, schema, example }: WebhookDefinition): void {
    if (schema === undefined) return;
    const problem = this.schemas.contractProblem(schema, example);
    if (problem) {
      throw new WebhookDefinitionError(`Webhook '${name}' (from ${source}): ${problem.field} ${problem.message}`);
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.refreshTimer);
  }

  /** Rebuilds the definitions from code, file and the store's current contents. */
  async reload(): Promise<void> {
    if (!this.store) return;
    const stored = await this.store.load();
    ({ groups: this.groups, webhooks: this.webhooks } = mergeStoredDefinitions(this.staticGroups, stored, (m) =>
      this.logger.warn(m),
    ));
    this.storedVersion = stored.version;
  }

  /** Reloads when the store changed since the last load; one failed check is logged and retried next time. */
  async refreshIfChanged(): Promise<void> {
    if (!this.store) return;
    this.refreshing ??= (async () => {
      try {
        if ((await this.store!.getVersion()) !== this.storedVersion) await this.reload();
      } catch (e) {
        this.logger.warn(`Could not refresh stored webhook definitions: ${(e as Error).message}`);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  getGroupOrNull(name: string): WebhookGroupDefinition | null {
    return this.groups.find((g) => g.name === name) ?? null;
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
    return definition.isAvailable && this.featureChecker.areAllGranted(tenantId, definition.requiredFeatures);
  }

  /** The definitions the tenant's features allow. */
  async getAvailable(tenantId: string | null): Promise<WebhookDefinition[]> {
    const all = this.getAll();
    const allowed = await Promise.all(all.map((d) => this.isAvailable(tenantId, d)));
    return all.filter((_, i) => allowed[i]);
  }

  /** The groups with the definitions the tenant's features allow; groups left empty are left out. */
  async getAvailableGroups(tenantId: string | null): Promise<WebhookGroupDefinition[]> {
    const available = new Set((await this.getAvailable(tenantId)).map((d) => d.name));
    return this.groups
      .map((g) => ({ ...g, webhooks: g.webhooks.filter((w) => available.has(w.name)) }))
      .filter((g) => g.webhooks.length > 0);
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

/**
 * Code and file come first: a stored group or definition whose name they also define, or whose group no
 * longer exists, is left out with a warning rather than stopping the service.
 */
export function mergeStoredDefinitions(
  staticGroups: readonly WebhookGroupDefinition[],
  stored: StoredWebhookDefinitions,
  warn: (message: string) => void,
): { groups: WebhookGroupDefinition[]; webhooks: Map<string, WebhookDefinition> } {
  const groups = new Map(staticGroups.map((g) => [g.name, { ...g, webhooks: [...g.webhooks] }]));
  const webhooks = new Map(staticGroups.flatMap((g) => g.webhooks.map((w) => [w.name, w] as const)));
  for (const g of stored.groups) {
    if (groups.has(g.name)) warn(`Stored webhook group '${g.name}' is ignored: code or the definitions file defines it`);
    else groups.set(g.name, { name: g.name, displayName: g.displayName, source: 'store', webhooks: [] });
  }
  for (const d of stored.definitions) {
    const group = groups.get(d.groupName);
    if (webhooks.has(d.name)) warn(`Stored webhook '${d.name}' is ignored: code or the definitions file defines it`);
    else if (!group) warn(`Stored webhook '${d.name}' is ignored: its group '${d.groupName}' does not exist`);
    else {
      const definition: WebhookDefinition = {
        name: d.name,
        displayName: d.displayName,
        description: d.description ?? undefined,
        requiredFeatures: d.requiredFeatures,
        groupName: d.groupName,
        isAvailable: d.isAvailable,
        source: 'store',
        ...(d.schema === null ? {} : { schema: d.schema, schemaVersion: d.schemaVersion ?? 1 }),
        ...(d.example === null ? {} : { example: d.example }),
      };
      group.webhooks.push(definition);
      webhooks.set(d.name, definition);
    }
  }
  return { groups: [...groups.values()], webhooks };
}
