import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import {
  TENANT_ID_RULE,
  WebhookDefinitionManager,
  WebhookValidationError,
  assertValidCustomHeaders,
  isValidTenantId,
  patternsMatching,
} from '@hookline/webhooks-core';
import type { WebhookDelivery, WebhookEvent } from '../domain/webhook-model';
import { WebhookEventStore, WebhookSubscriptionStore } from '../domain/webhook-stores';
import { WebhookDeliveryQueue } from '../sending/webhook-delivery-queue';

/** What a publisher hands over (ABP's WebhooksEventData). */
export interface PublishWebhookInput {
  webhookName: string;
  /** A JSON object. */
  data: object;
  /** Null or absent: a host event, delivered to host subscriptions only. */
  tenantId?: string | null;
  /** Send `data` as the whole body instead of the envelope. */
  sendExactSameData?: boolean;
  headers?: Record<string, string>;
  /** Send only `headers`, not the subscription's own. */
  useOnlyGivenHeaders?: boolean;
}

export interface PublishWebhookResult {
  webhookEventId: string;
  deliveryCount: number;
}

/**
 * Publishes a webhook event: finds the tenant's matching subscriptions with one indexed query, stores the
 * event and one delivery per subscription in one transaction, then enqueues the deliveries. Failures before
 * the commit are thrown to the caller; after it nothing can be lost (the sweeper covers the enqueue).
 */
@Injectable()
export class WebhookPublisher {
  private readonly logger = new Logger(WebhookPublisher.name);

  constructor(
    private readonly definitions: WebhookDefinitionManager,
    private readonly subscriptions: WebhookSubscriptionStore,
    private readonly events: WebhookEventStore,
    private readonly queue: WebhookDeliveryQueue,
  ) {}

  async publish(input: PublishWebhookInput): Promise<PublishWebhookResult> {
    const tenantId = input.tenantId ?? null;
    const definition = this.definitions.getOrNull(input.webhookName);
    if (!definition) throw new WebhookValidationError('webhookName', `unknown webhook '${input.webhookName}'`);
    if (input.data === null || typeof input.data !== 'object' || Array.isArray(input.data)) {
      throw new WebhookValidationError('data', 'must be a JSON object');
    }
    if (input.headers !== undefined && input.headers !== null) assertValidCustomHeaders(input.headers, 'headers');
    if (tenantId !== null && !isValidTenantId(tenantId)) throw new WebhookValidationError('tenantId', TENANT_ID_RULE);

    // A tenant without the definition's features gets the event recorded but nothing delivered.
    const granted = await this.definitions.isAvailable(tenantId, definition);
    const subscriptionIds = granted
      ? await this.subscriptions.findActiveIdsByPatterns(tenantId, patternsMatching(definition.name))
      : [];

    const now = new Date();
    const event: WebhookEvent = {
      id: randomUUID(),
      tenantId,
      webhookName: definition.name,
      data: JSON.stringify(input.data),
      sendExactSameData: input.sendExactSameData ?? false,
      headers: input.headers ?? null,
      useOnlyGivenHeaders: input.useOnlyGivenHeaders ?? false,
      creationTime: now,
    };
    const deliveries: WebhookDelivery[] = subscriptionIds.map((subscriptionId) => ({
      id: randomUUID(),
      webhookEventId: event.id,
      webhookSubscriptionId: subscriptionId,
      tenantId,
      state: 'pending',
      attemptCount: 0,
      nextAttemptAt: now,
      lastAttemptAt: null,
      creationTime: now,
    }));

    await this.events.saveWithDeliveries(event, deliveries);
    await this.queue.enqueue(deliveries.map((d) => d.id));
    this.logger.debug(
      `Published ${event.webhookName} ${event.id} for tenant ${tenantId ?? 'host'} to ${deliveries.length} subscriptions`,
    );
    return { webhookEventId: event.id, deliveryCount: deliveries.length };
  }
}
