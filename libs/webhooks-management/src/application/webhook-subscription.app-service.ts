import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  WebhookDefinitionManager,
  WebhookNotFoundError,
  assertValidCustomHeaders,
  generateWebhookSecret,
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
    private readonly definitions: WebhookDefinitionManager,
    private readonly subscriptions: WebhookSubscriptionStore,
  ) {}

  async create(tenantId: string | null, input: CreateWebhookSubscriptionInput): Promise<WebhookSubscription> {
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
