import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  TENANT_ID_RULE,
  WEBHOOKS_OPTIONS,
  WebhookConflictError,
  WebhookDataSchemas,
  WebhookDefinition,
  WebhookDefinitionManager,
  WebhookPayloadTooLargeError,
  WebhookValidationError,
  WebhooksOptions,
  MicroBatcher,
  settleTogetherOrAlone,
  PayloadFilterCache,
  assertValidCustomHeaders,
  isValidTenantId,
  jsonTextOf,
  MAX_JSON_DEPTH,
  patternsMatching,
  timeOrderedId,
} from '@hookline/webhooks-core';
import { DeliveryDispatch } from '../domain/ports/delivery-dispatch';
import type { WebhookDelivery, WebhookEvent } from '../domain/webhook-model';
import { EventWithDeliveries, IdempotencyClaim, WebhookEventStore } from '../domain/ports/webhook-event.store';
import { MatchedSubscription, WebhookSubscriptionStore } from '../domain/ports/webhook-subscription.store';
import { WebhookObservers } from '../observation/webhook-observer';

/** What a publisher hands over (ABP's WebhooksEventData). */
export interface PublishWebhookInput {
  webhookName: string;
  /**
   * A JSON object. Read with parseJsonText, it is published as its exact text; built by the application,
   * bigints are written as their digits and `-0` as `-0`, and what JSON cannot hold is refused.
   */
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
 * Most publishes matched, stored and handed over together: a whole batch publish's worth, and more when
 * batches arrive together, since each statement and round trip costs the same for one event as for hundreds.
 */
const MOST_STORED_TOGETHER = 500;

/** A publish that passed its checks, before it is matched and stored. */
interface CheckedPublish {
  input: Omit<PublishWebhookInput, 'tenantId'>;
  definition: WebhookDefinition;
  /** `input.data` as JSON. */
  data: string;
  tenantIds: (string | null)[];
}

/**
 * Publishes webhook events: finds each tenant's matching subscriptions with indexed queries, stores the
 * events and one delivery per subscription atomically (claiming the idempotency key in the same
 * transaction), then hands the deliveries to the scheduler. Failures before the commit are thrown to the caller;
 * after it nothing can be lost (the sweeper covers the hand-over).
 *
 * Publishes without an idempotency key that arrive together (the same turn of the event loop, or while
 * earlier ones are being stored) are matched, stored and handed over together: a few statements for the lot
 * instead of three round trips each. Each caller still hears only of its own publish, after the commit.
 */
@Injectable()
export class WebhookPublisher {
  private readonly logger = new Logger(WebhookPublisher.name);
  /** Subscriptions' payload filters, compiled once per filter text. */
  private readonly filters = new PayloadFilterCache();
  private readonly batches = new MicroBatcher<CheckedPublish, PromiseSettledResult<EventWithDeliveries[]>>(
    (publishes) => this.storeTogether(publishes),
    MOST_STORED_TOGETHER,
  );

  constructor(
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
    private readonly definitions: WebhookDefinitionManager,
    private readonly schemas: WebhookDataSchemas,
    private readonly subscriptions: WebhookSubscriptionStore,
    private readonly events: WebhookEventStore,
    private readonly dispatch: DeliveryDispatch,
    private readonly observers: WebhookObservers,
  ) {}

  async publish(input: PublishWebhookInput): Promise<PublishWebhookResult> {
    const tenantId = input.tenantId ?? null;
    if (tenantId !== null && !isValidTenantId(tenantId)) throw new WebhookValidationError('tenantId', TENANT_ID_RULE);
    const { events, replayed } = await this.publishEvents(input, [tenantId], tenantId);
    return { webhookEventId: events[0].webhookEventId, deliveryCount: events[0].deliveryCount, replayed };
  }

  /**
   * Each input published on its own, as publish() does: its own tenant, idempotency key and atomic store. They
   * are handed over together, so those without a key share statements; one refused or failed never affects
   * another. The outcomes come in the inputs' order.
   */
  publishEach(inputs: PublishWebhookInput[]): Promise<PromiseSettledResult<PublishWebhookResult>[]> {
    return Promise.allSettled(inputs.map((input) => this.publish(input)));
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
    const publish = this.check(input, tenantIds);
    if (input.idempotencyKey !== undefined) return this.publishWithKey(publish, input.idempotencyKey, keyOwner);
    const stored = await this.batches.load(publish);
    if (stored.status === 'rejected') throw stored.reason;
    return { events: stored.value.map(summary), replayed: false };
  }

  private check(input: Omit<PublishWebhookInput, 'tenantId'>, tenantIds: (string | null)[]): CheckedPublish {
    const definition = this.definitions.getOrNull(input.webhookName);
    if (!definition) throw new WebhookValidationError('webhookName', `unknown webhook '${input.webhookName}'`);
    if (input.data === null || typeof input.data !== 'object' || Array.isArray(input.data)) {
      throw new WebhookValidationError('data', 'must be a JSON object');
    }
    // The data's own text where it was parsed from one, so nothing a re-serialisation would change is lost.
    const data = jsonTextOf(input.data, 'data', MAX_JSON_DEPTH - 1);
    const dataBytes = Buffer.byteLength(data);
    if (dataBytes > this.options.maxEventDataBytes) {
      throw new WebhookPayloadTooLargeError(
        'data',
        `is ${dataBytes} bytes of JSON; at most ${this.options.maxEventDataBytes} are accepted`,
      );
    }
    if (definition.schema) this.schemas.assertValid(definition.schema, input.data);
    if (input.headers !== undefined && input.headers !== null) assertValidCustomHeaders(input.headers, 'headers');
    const key = input.idempotencyKey;
    if (key !== undefined && !isValidIdempotencyKey(key))
      throw new WebhookValidationError('idempotencyKey', IDEMPOTENCY_KEY_RULE);
    return { input, definition, data, tenantIds };
  }

  /** Claims the key and stores the events in one transaction; a repeat answers the first result. */
  private async publishWithKey(publish: CheckedPublish, key: string, keyOwner: string | null): Promise<PublishToTenantsResult> {
    const [events] = this.build([publish], await this.matchSubscriptions([publish]));
    const published = events.map(summary);
    const now = events[0].event.creationTime;
    const claim: IdempotencyClaim = {
      tenantId: keyOwner,
      key,
      requestHash: requestHash(publish),
      result: published,
      creationTime: now,
      expiresAt: new Date(now.getTime() + IDEMPOTENCY_KEY_LIFETIME_MS),
    };
    const outcome = await this.events.saveEvents(events, claim);
    if (!outcome.saved) {
      if (outcome.earlier.requestHash !== claim.requestHash) {
        throw new WebhookConflictError(`Idempotency key '${key}' was used with a different request in the last 24 hours`, [
          { field: 'idempotencyKey', message: 'was used with a different request in the last 24 hours' },
        ]);
      }
      return { events: outcome.earlier.result as PublishedTenantEvent[], replayed: true };
    }
    await this.enqueueStored([events]);
    return { events: published, replayed: false };
  }

  /**
   * Stores publishes that came together in one statement; should that fail, each again on its own, so one
   * that cannot be stored (a subscription deleted meanwhile, say) fails only its own caller.
   */
  private async storeTogether(publishes: CheckedPublish[]): Promise<PromiseSettledResult<EventWithDeliveries[]>[]> {
    const built = this.build(publishes, await this.matchSubscriptions(publishes));
    const stored = await settleTogetherOrAlone(built, async (groups) => {
      await this.events.saveEvents(groups.flat(), null);
      return groups;
    });
    await this.enqueueStored(stored.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])));
    return stored;
  }

  /** The events of each publish, one per tenant, with a pending delivery per matching subscription. */
  private build(publishes: CheckedPublish[], matches: Map<string | null, string[]>[]): EventWithDeliveries[][] {
    const now = new Date();
    const built = publishes.map(({ input, definition, data, tenantIds }, i) =>
      tenantIds.map((tenantId) => {
        const event: WebhookEvent = {
          id: timeOrderedId(now),
          tenantId,
          webhookName: definition.name,
          data,
          sendExactSameData: input.sendExactSameData ?? false,
          headers: input.headers ?? null,
          useOnlyGivenHeaders: input.useOnlyGivenHeaders ?? false,
          creationTime: now,
        };
        const deliveries: WebhookDelivery[] = (matches[i].get(tenantId) ?? []).map((subscriptionId) => ({
          id: timeOrderedId(now),
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
      }),
    );
    return built;
  }

  /** After the commit: all the deliveries to the scheduler in one round trip (the sweeper covers a failure), then observers. */
  private async enqueueStored(published: EventWithDeliveries[][]): Promise<void> {
    const events = published.flat();
    if (events.length === 0) return;
    const items = events.flatMap(({ deliveries }) =>
      deliveries.map((d) => ({ deliveryId: d.id, subscriptionId: d.webhookSubscriptionId, tenantId: d.tenantId })),
    );
    await this.dispatch.submit(items, 'first');
    for (const { event, deliveries } of events) {
      this.observers.notify('eventPublished', {
        webhookName: event.webhookName,
        tenantId: event.tenantId,
        webhookEventId: event.id,
        deliveryCount: deliveries.length,
      });
      this.logger.debug(
        `Published ${event.webhookName} for ${event.tenantId ?? 'host'} (${event.id}, ${deliveries.length} deliveries)`,
      );
    }
  }

  /**
   * For each publish, its subscription ids by tenant: one indexed query per webhook name (and one for the
   * host) however many publishes and tenants there are, then each subscription's payload filter on the
   * publish's data (compiled filters are cached, so nothing more is read or compiled per event). A tenant
   * without the definition's features gets its event recorded but nothing delivered.
   */
  private async matchSubscriptions(publishes: CheckedPublish[]): Promise<Map<string | null, string[]>[]> {
    const tenantsByName = new Map<string, Set<string | null>>();
    await Promise.all(
      publishes.map(async ({ definition, tenantIds }) => {
        const granted = await Promise.all(tenantIds.map((t) => this.definitions.isAvailable(t, definition)));
        const tenants = tenantsByName.get(definition.name) ?? new Set();
        tenantIds.filter((_, i) => granted[i]).forEach((t) => tenants.add(t));
        tenantsByName.set(definition.name, tenants);
      }),
    );
    const found = new Map<string, Map<string | null, MatchedSubscription[]>>();
    await Promise.all(
      [...tenantsByName].map(async ([name, tenants]) => {
        const patterns = patternsMatching(name);
        const byTenant = new Map<string | null, MatchedSubscription[]>();
        const host = tenants.has(null);
        const others = [...tenants].filter((t): t is string => t !== null);
        const [hostMatches, rows] = await Promise.all([
          host ? this.subscriptions.findActiveByPatterns(null, patterns) : [],
          others.length ? this.subscriptions.findActiveByTenantsAndPatterns(others, patterns) : [],
        ]);
        if (host) byTenant.set(null, hostMatches);
        for (const row of rows) {
          const matches = byTenant.get(row.tenantId);
          if (matches) matches.push(row);
          else byTenant.set(row.tenantId, [row]);
        }
        found.set(name, byTenant);
      }),
    );
    // A tenant that lacks the definition's features is not in `found`, so its event gets no deliveries.
    return publishes.map(({ input, definition, tenantIds }) => {
      const byTenant = found.get(definition.name)!;
      return new Map(tenantIds.map((t) => [t, this.passingFilters(byTenant.get(t) ?? [], input.data)]));
    });
  }

  /** The ids of the subscriptions whose payload filter the data passes (those without one take everything). */
  private passingFilters(matches: MatchedSubscription[], data: object): string[] {
    const ids: string[] = [];
    for (const { id, filter } of matches) if (filter === null || this.filters.get(filter)(data)) ids.push(id);
    return ids;
  }
}

const summary = ({ event, deliveries }: EventWithDeliveries): PublishedTenantEvent => ({
  tenantId: event.tenantId,
  webhookEventId: event.id,
  deliveryCount: deliveries.length,
});

/** What makes two publishes "the same request" for an idempotency key. */
function requestHash({ input, data, tenantIds }: CheckedPublish): string {
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
