import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  DEFAULT_WEBHOOKS_OPTIONS,
  WebhookConflictError,
  WebhookDataSchemas,
  WebhookPayloadTooLargeError,
  WebhookValidationError,
  timeOfTimeOrderedId,
  type WebhookDefinition,
  type WebhookDefinitionManager,
} from '@hookline/webhooks-core';
import type { DeliveryDispatch, DispatchItem, DispatchLane } from '../domain/ports/delivery-dispatch';
import type {
  EventWithDeliveries,
  IdempotencyClaim,
  SaveEventsOutcome,
  WebhookEventStore,
} from '../domain/ports/webhook-event.store';
import type { MatchedSubscription, WebhookSubscriptionStore } from '../domain/ports/webhook-subscription.store';
import type { WebhookObservers } from '../observation/webhook-observer';
import { IDEMPOTENCY_KEY_LIFETIME_MS, MAX_PUBLISH_TENANTS, WebhookPublisher } from './webhook-publisher';

interface StoredSubscription {
  id: string;
  tenantId: string | null;
  webhooks: string[];
  isActive: boolean;
  filter: object | null;
}

const definition = (name: string, over: Partial<WebhookDefinition> = {}): WebhookDefinition => ({
  name,
  displayName: name,
  requiredFeatures: [],
  groupName: 'shop',
  isAvailable: true,
  source: 'code',
  ...over,
});

/** In-memory ports: they answer from what each test sets, and write down what the publisher asked of them. */
class Ports {
  calls: string[] = [];
  subscriptionsAt: StoredSubscription[] = [];
  /** Tenants whose features do not include the definitions' required ones. */
  withoutFeatures = new Set<string | null>();
  /** A save holding an event with this webhook name fails (whatever else it holds). */
  failingName: string | null = null;
  saves: { events: EventWithDeliveries[]; claim: IdempotencyClaim | null }[] = [];
  claims = new Map<string, { requestHash: string; result: unknown }>();
  submitted: { items: DispatchItem[]; lane: DispatchLane }[] = [];
  published: unknown[] = [];

  readonly definitions = {
    getOrNull: (name: string) =>
      ({
        'order.created': definition('order.created'),
        'order.paid': definition('order.paid', { schema: { type: 'object', required: ['orderId'] } }),
        'invoice.sent': definition('invoice.sent'),
      })[name] ?? null,
    isAvailable: async (tenantId: string | null) => !this.withoutFeatures.has(tenantId),
  } as unknown as WebhookDefinitionManager;

  private matching(tenantId: string | null, patterns: readonly string[]): MatchedSubscription[] {
    return this.subscriptionsAt
      .filter((s) => s.tenantId === tenantId && s.isActive && s.webhooks.some((w) => patterns.includes(w)))
      .map((s) => ({ id: s.id, filter: s.filter && JSON.stringify(s.filter) }));
  }

  readonly subscriptions = {
    findActiveByPatterns: async (tenantId: string | null, patterns: readonly string[]) => {
      this.calls.push(`match ${tenantId ?? 'host'}`);
      return this.matching(tenantId, patterns);
    },
    findActiveByTenantsAndPatterns: async (tenantIds: readonly string[], patterns: readonly string[]) => {
      this.calls.push(`match ${tenantIds.join(',')}`);
      return tenantIds.flatMap((t) => this.matching(t, patterns).map((m) => ({ ...m, tenantId: t })));
    },
  } as unknown as WebhookSubscriptionStore;

  readonly events = {
    saveEvents: async (events: EventWithDeliveries[], claim: IdempotencyClaim | null = null): Promise<SaveEventsOutcome> => {
      this.calls.push(`save ${events.length}`);
      if (events.some((e) => e.event.webhookName === this.failingName)) throw new Error('the store refused the batch');
      if (claim) {
        const earlier = this.claims.get(`${claim.tenantId}/${claim.key}`);
        if (earlier) return { saved: false, earlier };
        this.claims.set(`${claim.tenantId}/${claim.key}`, { requestHash: claim.requestHash, result: claim.result });
      }
      this.saves.push({ events, claim });
      return { saved: true };
    },
  } as unknown as WebhookEventStore;

  readonly dispatch = {
    submit: async (items: DispatchItem[], lane: DispatchLane) => {
      this.calls.push(`submit ${items.length}`);
      this.submitted.push({ items, lane });
      return true;
    },
  } as unknown as DeliveryDispatch;

  readonly observers = {
    notify: (hook: string, observation: unknown) => this.published.push({ hook, ...(observation as object) }),
  } as unknown as WebhookObservers;

  /** Every event stored, in the order stored. */
  get storedEvents(): EventWithDeliveries[] {
    return this.saves.flatMap((s) => s.events);
  }
}

const subscription = (id: string, tenantId: string | null, webhooks: string[], over: Partial<StoredSubscription> = {}) => ({
  id,
  tenantId,
  webhooks,
  isActive: true,
  filter: null,
  ...over,
});

describe('WebhookPublisher', () => {
  let ports: Ports;
  let publisher: WebhookPublisher;
  const makePublisher = (options = DEFAULT_WEBHOOKS_OPTIONS) =>
    new WebhookPublisher(
      options,
      ports.definitions,
      new WebhookDataSchemas(),
      ports.subscriptions,
      ports.events,
      ports.dispatch,
      ports.observers,
    );
  beforeEach(() => {
    ports = new Ports();
    ports.subscriptionsAt = [
      subscription('exact', 'acme', ['order.created']),
      subscription('prefix', 'acme', ['order.*']),
      subscription('other-name', 'acme', ['invoice.*']),
      subscription('inactive', 'acme', ['*'], { isActive: false }),
      subscription('other-tenant', 'globex', ['*']),
      subscription('host', null, ['*']),
    ];
    publisher = makePublisher();
  });

  it('stores the event with one pending delivery per matching active subscription of the tenant, then hands them over as first attempts', async () => {
    const before = Date.now();
    const result = await publisher.publish({ webhookName: 'order.created', tenantId: 'acme', data: { orderId: 7 } });
    const [{ event, deliveries }] = ports.storedEvents;
    assert.deepEqual(result, { webhookEventId: event.id, deliveryCount: 2, replayed: false });
    assert.equal(event.tenantId, 'acme');
    assert.equal(event.data, '{"orderId":7}');
    assert.deepEqual([event.sendExactSameData, event.headers, event.useOnlyGivenHeaders], [false, null, false]);
    assert.ok(timeOfTimeOrderedId(event.id)!.getTime() >= before - 1);
    assert.deepEqual(
      deliveries.map((d) => [d.webhookSubscriptionId, d.webhookEventId, d.tenantId, d.state, d.attemptCount, d.nextAttemptAt]),
      [
        ['exact', event.id, 'acme', 'pending', 0, event.creationTime],
        ['prefix', event.id, 'acme', 'pending', 0, event.creationTime],
      ],
    );
    assert.deepEqual(ports.calls, ['match acme', 'save 1', 'submit 2']);
    assert.deepEqual(ports.submitted, [
      {
        lane: 'first',
        items: deliveries.map((d) => ({ deliveryId: d.id, subscriptionId: d.webhookSubscriptionId, tenantId: 'acme' })),
      },
    ]);
    assert.deepEqual(ports.published, [
      { hook: 'eventPublished', webhookName: 'order.created', tenantId: 'acme', webhookEventId: event.id, deliveryCount: 2 },
    ]);
  });

  it('delivers a host event to host subscriptions only', async () => {
    const result = await publisher.publish({ webhookName: 'order.created', data: {} });
    assert.equal(result.deliveryCount, 1);
    assert.deepEqual(
      ports.storedEvents[0].deliveries.map((d) => [d.webhookSubscriptionId, d.tenantId]),
      [['host', null]],
    );
    assert.deepEqual(ports.calls, ['match host', 'save 1', 'submit 1']);
  });

  it("leaves out the subscriptions whose payload filter the event's data does not pass", async () => {
    ports.subscriptionsAt = [
      subscription('big-orders', 'acme', ['order.*'], { filter: { total: { $gte: 100 } } }),
      subscription('small-orders', 'acme', ['order.*'], { filter: { total: { $lt: 100 } } }),
      subscription('every-order', 'acme', ['order.*']),
    ];
    await publisher.publish({ webhookName: 'order.created', tenantId: 'acme', data: { total: 250 } });
    assert.deepEqual(
      ports.storedEvents[0].deliveries.map((d) => d.webhookSubscriptionId),
      ['big-orders', 'every-order'],
    );
  });

  it("records the event of a tenant without the webhook's features, and delivers it to nobody", async () => {
    ports.withoutFeatures.add('acme');
    const result = await publisher.publish({ webhookName: 'order.created', tenantId: 'acme', data: {} });
    assert.equal(result.deliveryCount, 0);
    assert.equal(ports.storedEvents.length, 1);
    assert.deepEqual(ports.storedEvents[0].deliveries, []);
    assert.ok(!ports.calls.some((c) => c.startsWith('match acme')), 'no subscription was looked up for it');
  });

  const refusals: [string, () => unknown, string, new (...args: never[]) => Error][] = [
    ['an unknown webhook', () => ({ webhookName: 'order.lost', data: {} }), 'webhookName', WebhookValidationError],
    ['data that is an array', () => ({ webhookName: 'order.created', data: [1] }), 'data', WebhookValidationError],
    ['data that is null', () => ({ webhookName: 'order.created', data: null }), 'data', WebhookValidationError],
    [
      'data that breaks the schema',
      () => ({ webhookName: 'order.paid', data: { total: 1 } }),
      'data.orderId',
      WebhookValidationError,
    ],
    [
      'a malformed tenant id',
      () => ({ webhookName: 'order.created', data: {}, tenantId: 'a b' }),
      'tenantId',
      WebhookValidationError,
    ],
    [
      'an idempotency key with a control character',
      () => ({ webhookName: 'order.created', data: {}, idempotencyKey: 'k\n' }),
      'idempotencyKey',
      WebhookValidationError,
    ],
    [
      'data over maxEventDataBytes',
      () => ({ webhookName: 'order.created', data: { blob: 'x'.repeat(64) } }),
      'data',
      WebhookPayloadTooLargeError,
    ],
  ];
  for (const [what, input, field, error] of refusals) {
    it(`refuses ${what} (${field}), storing and handing over nothing`, async () => {
      publisher = makePublisher({ ...DEFAULT_WEBHOOKS_OPTIONS, maxEventDataBytes: 64 });
      await assert.rejects(
        publisher.publish(input() as never),
        (e: unknown) => e instanceof error && (e as WebhookValidationError).field === field,
      );
      assert.deepEqual(ports.calls, []);
    });
  }

  it('stores the publishes of one turn together: one save and one hand-over, each caller told of its own event', async () => {
    const results = await Promise.all([
      publisher.publish({ webhookName: 'order.created', tenantId: 'acme', data: { n: 1 } }),
      publisher.publish({ webhookName: 'invoice.sent', tenantId: 'acme', data: { n: 2 } }),
      publisher.publish({ webhookName: 'order.created', tenantId: 'globex', data: { n: 3 } }),
    ]);
    assert.deepEqual(
      ports.calls.filter((c) => !c.startsWith('match')),
      ['save 3', 'submit 4'],
    );
    const stored = ports.storedEvents;
    assert.deepEqual(
      results.map((r) => [r.webhookEventId, r.deliveryCount]),
      stored.map((s) => [s.event.id, s.deliveries.length]),
    );
    assert.deepEqual(
      stored.map((s) => [s.event.data, s.deliveries.map((d) => d.webhookSubscriptionId)]),
      [
        ['{"n":1}', ['exact', 'prefix']],
        ['{"n":2}', ['other-name']],
        ['{"n":3}', ['other-tenant']],
      ],
    );
  });

  it('stores a whole batch publish (500 events) with one save and one hand-over', async () => {
    const inputs = Array.from({ length: 500 }, (_, n) => ({ webhookName: 'order.created', tenantId: 'acme', data: { n } }));
    const outcomes = await publisher.publishEach(inputs);
    assert.ok(outcomes.every((o) => o.status === 'fulfilled'));
    assert.deepEqual(
      ports.calls.filter((c) => !c.startsWith('match')),
      ['save 500', 'submit 1000'],
    );
  });

  it('tries each publish of a refused batch alone: only the one the store refuses fails, and only the stored ones are handed over', async () => {
    ports.failingName = 'invoice.sent';
    const outcomes = await publisher.publishEach([
      { webhookName: 'order.created', tenantId: 'acme', data: { n: 1 } },
      { webhookName: 'invoice.sent', tenantId: 'acme', data: { n: 2 } },
      { webhookName: 'order.created', tenantId: 'globex', data: { n: 3 } },
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(
      ports.storedEvents.map((s) => s.event.data),
      ['{"n":1}', '{"n":3}'],
    );
    assert.deepEqual(
      ports.submitted.flatMap((s) => s.items.map((i) => i.subscriptionId)),
      ['exact', 'prefix', 'other-tenant'],
    );
    assert.deepEqual(
      ports.published.map((p) => (p as { webhookEventId: string }).webhookEventId),
      ports.storedEvents.map((s) => s.event.id),
    );
  });

  it('passes a failure to store to its caller, handing over and announcing nothing', async () => {
    ports.failingName = 'order.created';
    await assert.rejects(
      publisher.publish({ webhookName: 'order.created', tenantId: 'acme', data: {} }),
      /the store refused the batch/,
    );
    assert.deepEqual(ports.submitted, []);
    assert.deepEqual(ports.published, []);
  });

  it('claims an idempotency key with the store of its event; a repeat answers the first result and stores and hands over nothing', async () => {
    const input = { webhookName: 'order.created', tenantId: 'acme', data: { orderId: 1 }, idempotencyKey: 'order-1' };
    const first = await publisher.publish(input);
    const [{ claim, events }] = ports.saves;
    assert.equal(claim!.tenantId, 'acme');
    assert.equal(claim!.key, 'order-1');
    assert.equal(claim!.expiresAt.getTime() - claim!.creationTime.getTime(), IDEMPOTENCY_KEY_LIFETIME_MS);
    assert.equal(first.webhookEventId, events[0].event.id);
    assert.equal(ports.submitted.length, 1);

    const repeat = await publisher.publish(input);
    assert.deepEqual(repeat, { ...first, replayed: true });
    assert.equal(ports.saves.length, 1);
    assert.equal(ports.submitted.length, 1);
  });

  it('refuses an idempotency key used with a different request as a conflict', async () => {
    const input = { webhookName: 'order.created', tenantId: 'acme', data: { orderId: 1 }, idempotencyKey: 'order-1' };
    await publisher.publish(input);
    await assert.rejects(publisher.publish({ ...input, data: { orderId: 2 } }), WebhookConflictError);
    await assert.rejects(publisher.publish({ ...input, headers: { 'x-team': 'a' } }), WebhookConflictError);
    assert.equal(ports.submitted.length, 1);
  });

  it("publishes to several tenants: one event each, matched in one query and stored in one save under the host's key", async () => {
    const result = await publisher.publishToTenants({
      webhookName: 'order.created',
      tenantIds: ['acme', 'globex', 'initech'],
      data: {},
      idempotencyKey: 'k',
    });
    assert.deepEqual(
      result.events.map((e) => [e.tenantId, e.deliveryCount]),
      [
        ['acme', 2],
        ['globex', 1],
        ['initech', 0],
      ],
    );
    assert.deepEqual(ports.calls, ['match acme,globex,initech', 'save 3', 'submit 3']);
    assert.equal(ports.saves[0].claim!.tenantId, null);
  });

  const tenantListRefusals: [string, unknown, string][] = [
    ['no tenants', [], 'tenantIds'],
    [`more than ${MAX_PUBLISH_TENANTS} tenants`, Array.from({ length: MAX_PUBLISH_TENANTS + 1 }, (_, i) => `t${i}`), 'tenantIds'],
    ['a tenant listed twice', ['acme', 'globex', 'acme'], 'tenantIds[2]'],
    ['a malformed tenant id', ['acme', ' '], 'tenantIds[1]'],
  ];
  for (const [what, tenantIds, field] of tenantListRefusals) {
    it(`refuses a publish to tenants with ${what} (${field})`, async () => {
      await assert.rejects(
        publisher.publishToTenants({ webhookName: 'order.created', tenantIds: tenantIds as string[], data: {} }),
        (e: unknown) => e instanceof WebhookValidationError && e.field === field,
      );
      assert.deepEqual(ports.calls, []);
    });
  }
});
