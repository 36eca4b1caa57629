import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  WEBHOOKS_OPTIONS,
  WebhookDefinitionManager,
  WebhookNotFoundError,
  WebhookValidationError,
  WebhooksOptions,
  assertValidCustomHeaders,
  generateWebhookSecret,
  privateAddressMessage,
  privateLiteralHost,
} from '@hookline/webhooks-core';
import { WebhookSubscription, WebhookSubscriptionStore } from '@hookline/webhooks';

export interface CreateWebhookSubscriptionInput {
  webhookUri: string;
  webhooks: string[];
  secret?: string;
  headers?: Record<string, string>;
  isActive?: boolean;
  description?: string;
  timeoutDuration?: number;
  maxSendAttemptCount?: number;
}

/** Subscriptions of the caller's tenant (LINGYUN's WebhookSubscriptionAppService). */
@Injectable()
export class WebhookSubscriptionAppService {
  constructor(
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
    private readonly definitions: WebhookDefinitionManager,
    private readonly subscriptions: WebhookSubscriptionStore,
  ) {}

  async create(tenantId: string | null, input: CreateWebhookSubscriptionInput): Promise<WebhookSubscription> {
    // Names are checked when they are resolved, at send time; a literal address can be refused now.
    const literal = this.options.allowPrivateNetworks ? null : privateLiteralHost(input.webhookUri);
    if (literal) throw new WebhookValidationError('webhookUri', privateAddressMessage('its host', literal));
    const webhooks = [...new Set(input.webhooks)];
    await this.definitions.assertSubscribable(tenantId, webhooks);
    const headers = input.headers ?? {};
    assertValidCustomHeaders(headers, 'headers');
    const subscription: WebhookSubscription = {
      id: randomUUID(),
      tenantId,
      webhookUri: input.webhookUri,
      secret: input.secret ?? generateWebhookSecret(),
      webhooks,
      headers,
      isActive: input.isActive ?? true,
      timeoutDuration: input.timeoutDuration ?? null,
      maxSendAttemptCount: input.maxSendAttemptCount ?? null,
      description: input.description ?? null,
      consecutiveFailureCount: 0,
      deactivatedAt: null,
      deactivationReason: null,
      creationTime: new Date(),
      concurrencyStamp: randomUUID(),
    };
    await this.subscriptions.insert(subscription);
    return subscription;
  }

  async get(tenantId: string | null, id: string): Promise<WebhookSubscription> {
    const subscription = await this.subscriptions.findById(tenantId, id);
    if (!subscription) throw new WebhookNotFoundError('Webhook subscription', id);
    return subscription;
  }
}
