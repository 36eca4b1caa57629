import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  TENANT_ID_RULE,
  WEBHOOKS_OPTIONS,
  WebhookConflictError,
  WebhookDefinition,
  WebhookDefinitionManager,
  WebhookPayloadTooLargeError,
  WebhookValidationError,
  WebhooksOptions,
  assertValidCustomHeaders,
  isValidTenantId,
  patternsMatching,
} from '@hookline/webhooks-core';
import type { WebhookDelivery, WebhookEvent } from '../domain/webhook-model';
import { EventWithDeliveries, IdempotencyClaim, WebhookEventStore, WebhookSubscriptionStore } from '../domain/webhook-stores';
import { WebhookObservers } from '../observation/webhook-observer';
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
  /**
   * A repeat of a publish with the same key by the same tenant within 24 h stores nothing and returns the
   * first result (`replayed: true`); the same key with another request is a conflict. 1-255 printable ASCII.
   */
  idempotencyKey?: string;
}

export interface PublishWebhookResult {
  webhookEventId: string;
  deliveryCount: number;
  /** True when this is the stored result of an earlier publish with the same idempotency key. */
  replayed: boolean;
}

/** The host publishing one event for each of several tenants; the idempotency key is the host's. */
export interface PublishToTenantsInput extends Omit<PublishWebhookInput, 'tenantId'> {
  tenantIds: string[];
}

export interface PublishedTenantEvent {
  tenantId: string | null;
  webhookEventId: string;
  deliveryCount: number;
}

export interface PublishToTenantsResult {
  events: PublishedTenantEvent[];
  replayed: boolean;
}

/** How long an idempotency key holds. */
export const IDEMPOTENCY_KEY_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** Most tenants one publish may address. */
export const MAX_PUBLISH_TENANTS = 100;
const IDEMPOTENCY_KEY_REGEX = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;
export const IDEMPOTENCY_KEY_RULE = 'must be 1-255 printable ASCII characters, not starting or ending with a space';
export const isValidIdempotencyKey = (key: unknown): key is string => typeof key === 'string' && IDEMPOTENCY_KEY_REGEX.test(key);

/**
 * Publishes webhook events: finds each tenant's matching subscriptions with one indexed query, stores the
 * events and one delivery per subscription in one transaction (claiming the idempotency key in it), then
 * enqueues the deliveries. Failures before the commit are thrown to the caller; after it nothing can be
 * lost (the sweeper covers the enqueue).
 */
@Injectable()
export class WebhookPublisher {
  private readonly logger = new Logger(WebhookPublisher.name);

  constructor(
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
    private readonly definitions: WebhookDefinitionManager,
    private readonly subscriptions: WebhookSubscriptionStore,
    private readonly events: WebhookEventStore,
    private readonly queue: WebhookDeliveryQueue,
    private readonly observers: WebhookObservers,
  ) {}

  async publish(input: PublishWebhookInput): Promise<PublishWebhookResult> {
    const tenantId = input.tenantId ?? null;
    if (tenantId !== null && !isValidTenantId(tenantId)) throw new WebhookValidationError('tenantId', TENANT_ID_RULE);
    const { events, replayed } = await this.publishEvents(input, [tenantId], tenantId);
    return { webhookEventId: events[0].webhookEventId, deliveryCount: events[0].deliveryCount, replayed };
  }

  /** One event per tenant, all stored in one transaction. */
  async publishToTenants(input: PublishToTenantsInput): Promise<PublishToTenantsResult> {
    const { tenantIds } = input;
    if (!Array.isArray(tenantIds) || tenantIds.length === 0 || tenantIds.length > MAX_PUBLISH_TENANTS) {
      throw new WebhookValidationError('tenantIds', `must list 1-${MAX_PUBLISH_TENANTS} tenants`);
    }
    tenantIds.forEach((t, i) => {
      if (!isValidTenantId(t)) throw new WebhookValidationError(`tenantIds[${i}]`, TENANT_ID_RULE);
      if (tenantIds.indexOf(t) !== i) throw new WebhookValidationError(`tenantIds[${i}]`, `'${t}' is listed twice`);
    });
    return this.publishEvents(input, tenantIds, null);
  }

  private async publishEvents(
    input: Omit<PublishWebhookInput, 'tenantId'>,
    tenantIds: (string | null)[],
    keyOwner: string | null,
  ): Promise<PublishToTenantsResult> {
    const definition = this.definitions.getOrNull(input.webhookName);
    if (!definition) throw new WebhookValidationError('webhookName', `unknown webhook '${input.webhookName}'`);
    if (input.data === null || typeof input.data !== 'object' || Array.isArray(input.data)) {
      throw new WebhookValidationError('data', 'must be a JSON object');
    }
    const data = JSON.stringify(input.data);
    const dataBytes = Buffer.byteLength(data);
    if (dataBytes > this.options.maxEventDataBytes) {
      throw new WebhookPayloadTooLargeError(
        'data',
        `is ${dataBytes} bytes of JSON; at most ${this.options.maxEventDataBytes} are accepted`,
      );
    }
    if (input.headers !== undefined && input.headers !== null) assertValidCustomHeaders(input.headers, 'headers');
    const key = input.idempotencyKey;
    if (key !== undefined && !isValidIdempotencyKey(key))
      throw new WebhookValidationError('idempotencyKey', IDEMPOTENCY_KEY_RULE);

    const subscriptionIds = await this.matchSubscriptions(definition, tenantIds);
    const now = new Date();
    const batch: EventWithDeliveries[] = tenantIds.map((tenantId) => {
      const event: WebhookEvent = {
        id: randomUUID(),
        tenantId,
        webhookName: definition.name,
        data,
        sendExactSameData: input.sendExactSameData ?? false,
        headers: input.headers ?? null,
        useOnlyGivenHeaders: input.useOnlyGivenHeaders ?? false,
        creationTime: now,
      };
      const deliveries: WebhookDelivery[] = (subscriptionIds.get(tenantId) ?? []).map((subscriptionId) => ({
        id: randomUUID(),
        webhookEventId: event.id,
        webhookSubscriptionId: subscriptionId,
        tenantId,
        state: 'pending',
        attemptCount: 0,
        attemptBase: 0,
        nextAttemptAt: now,
        lastAttemptAt: null,
        creationTime: now,
      }));
      return { event, deliveries };
    });
    const published: PublishedTenantEvent[] = batch.map(({ event, deliveries }) => ({
      tenantId: event.tenantId,
      webhookEventId: event.id,
      deliveryCount: deliveries.length,
    }));

    const claim: IdempotencyClaim | null =
      key === undefined
        ? null
        : {
            tenantId: keyOwner,
            key,
            requestHash: requestHash(input, data, tenantIds),
            result: published,
            creationTime: now,
            expiresAt: new Date(now.getTime() + IDEMPOTENCY_KEY_LIFETIME_MS),
          };
    const outcome = await this.events.saveEvents(batch, claim);
    if (!outcome.saved) {
      if (outcome.earlier.requestHash !== claim!.requestHash) {
        throw new WebhookConflictError(`Idempotency key '${key}' was used with a different request in the last 24 hours`, [
          { field: 'idempotencyKey', message: 'was used with a different request in the last 24 hours' },
        ]);
      }
      return { events: outcome.earlier.result as PublishedTenantEvent[], replayed: true };
    }
    await this.queue.enqueue(batch.flatMap(({ deliveries }) => deliveries.map((d) => d.id)));
    for (const { event, deliveries } of batch) {
      this.observers.notify('eventPublished', {
        webhookName: event.webhookName,
        tenantId: event.tenantId,
        webhookEventId: event.id,
        deliveryCount: deliveries.length,
      });
    }
    this.logger.debug(
      `Published ${definition.name} for ${published.map((p) => `${p.tenantId ?? 'host'} (${p.webhookEventId}, ${p.deliveryCount} deliveries)`).join(', ')}`,
    );
    return { events: published, replayed: false };
  }

  /**
   * Subscription ids by tenant. A tenant without the definition's features gets its event recorded but
   * nothing delivered.
   */
  private async matchSubscriptions(
    definition: WebhookDefinition,
    tenantIds: (string | null)[],
  ): Promise<Map<string | null, string[]>> {
    const granted = await Promise.all(tenantIds.map((t) => this.definitions.isAvailable(t, definition)));
    const tenants = tenantIds.filter((_, i) => granted[i]);
    const patterns = patternsMatching(definition.name);
    const matches = new Map<string | null, string[]>();
    if (tenants.length === 1) {
      matches.set(tenants[0], await this.subscriptions.findActiveIdsByPatterns(tenants[0], patterns));
    } else if (tenants.length > 1) {
      // Only publishToTenants addresses several tenants, and never the host.
      for (const { id, tenantId } of await this.subscriptions.findActiveByTenantsAndPatterns(tenants as string[], patterns)) {
        const ids = matches.get(tenantId);
        if (ids) ids.push(id);
        else matches.set(tenantId, [id]);
      }
    }
    return matches;
  }
}

/** What makes two publishes "the same request" for an idempotency key. */
function requestHash(input: Omit<PublishWebhookInput, 'tenantId'>, data: string, tenantIds: (string | null)[]): string {
  const request = [
    input.webhookName,
    data,
    input.sendExactSameData ?? false,
    input.headers ?? null,
    input.useOnlyGivenHeaders ?? false,
    tenantIds,
  ];
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}
