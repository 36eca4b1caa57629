import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  DEFAULT_WEBHOOKS_OPTIONS,
  WebhookConflictError,
  WebhookValidationError,
  timeOfTimeOrderedId,
} from '@hookline/webhooks-core';
import type { WebhookSendAttempt, WebhookSubscription } from '../domain/webhook-model';
import type { DeliveryDispatch, DispatchItem, DispatchLane } from '../domain/ports/delivery-dispatch';
import type { EventWithDeliveries, WebhookEventStore } from '../domain/ports/webhook-event.store';
import type { ReopenedDelivery, WebhookDeliveryStore } from '../domain/ports/webhook-delivery.store';
import type { DeliveryRunPolicy, WebhookDeliveryService } from '../sending/webhook-delivery.service';
import { TEST_WEBHOOK_NAME, WebhookRedeliveryService } from './webhook-redelivery.service';

/** In-memory ports: they answer what each test sets, and write down what the service asked of them. */
class Ports {
  calls: string[] = [];
  withdrawAnswer = true;
  reopened: ReopenedDelivery[] = [];
  tooMany = false;
  saved: EventWithDeliveries[] = [];
  submitted: { items: DispatchItem[]; lane: DispatchLane }[] = [];
  cancelled: string[] = [];
  resumed: string[] = [];
  attempts: { deliveryId: string; policy?: DeliveryRunPolicy }[] = [];

  readonly deliveries = {
    reopenByAttempts: async (_tenant: string | null, ids: readonly string[]) => {
      this.calls.push(`reopen ${ids.join(',')}`);
      return this.reopened;
    },
    reopenForReplay: async () => {
      this.calls.push('reopen for replay');
      return { tooMany: this.tooMany, reopened: this.tooMany ? [] : this.reopened };
    },
  } as unknown as WebhookDeliveryStore;

  readonly events = {
    saveEvents: async (events: EventWithDeliveries[]) => {
      this.saved.push(...events);
    },
  } as unknown as WebhookEventStore;

  readonly dispatch = {
    withdraw: async (item: DispatchItem) => {
      this.calls.push(`withdraw ${item.deliveryId}`);
      return this.withdrawAnswer;
    },
    resume: async (subscriptionId: string) => {
      this.resumed.push(subscriptionId);
    },
    submit: async (items: DispatchItem[], lane: DispatchLane) => {
      this.submitted.push({ items, lane });
      return true;
    },
    cancelRetries: async (ids: readonly string[]) => {
      this.cancelled.push(...ids);
    },
  } as unknown as DeliveryDispatch;

  readonly sender = {
    attemptNow: async (deliveryId: string, policy?: DeliveryRunPolicy) => {
      this.attempts.push({ deliveryId, policy });
      return { outcome: { kind: 'succeeded' }, attempt: { id: 'attempt-new', deliveryId } as WebhookSendAttempt };
    },
  } as unknown as WebhookDeliveryService;
}

const subscription = (over: Partial<WebhookSubscription> = {}) =>
  ({ id: 'sub-1', tenantId: 'acme', isActive: true, timeoutDuration: null, ...over }) as WebhookSubscription;
const attempt = { id: 'attempt-1', deliveryId: 'delivery-1' } as WebhookSendAttempt;
const reopened = (id: string, subscriptionId: string, wasPending: boolean): ReopenedDelivery => ({
  id,
  webhookSubscriptionId: subscriptionId,
  tenantId: 'acme',
  wasPending,
});

describe('WebhookRedeliveryService', () => {
  let ports: Ports;
  let service: WebhookRedeliveryService;
  beforeEach(() => {
    ports = new Ports();
    service = new WebhookRedeliveryService(
      { ...DEFAULT_WEBHOOKS_OPTIONS, replayMaxDeliveries: 10 },
      ports.deliveries,
      ports.events,
      ports.dispatch,
      ports.sender,
    );
  });

  it('resends now: takes the delivery from the scheduler first, reopens it, and sends it', async () => {
    ports.reopened = [reopened('delivery-1', 'sub-1', false)];
    const answer = await service.resendNow('acme', attempt, subscription());
    assert.equal(answer.id, 'attempt-new');
    assert.deepEqual(ports.calls, ['withdraw delivery-1', 'reopen attempt-1']);
    assert.deepEqual(
      ports.attempts.map((a) => a.deliveryId),
      ['delivery-1'],
    );
  });

  it('refuses to resend while a worker sends the same delivery (409), reopening nothing', async () => {
    ports.withdrawAnswer = false;
    await assert.rejects(service.resendNow('acme', attempt, subscription()), WebhookConflictError);
    assert.deepEqual(ports.calls, ['withdraw delivery-1']);
    assert.equal(ports.attempts.length, 0);
  });

  it('refuses to resend or replay for an inactive subscription, touching nothing', async () => {
    await assert.rejects(service.resendNow('acme', attempt, subscription({ isActive: false })), WebhookConflictError);
    await assert.rejects(
      service.replay(subscription({ isActive: false }), { since: new Date(0), until: new Date(), onlyFailed: false }),
      WebhookConflictError,
    );
    assert.deepEqual(ports.calls, []);
  });

  it('queues reopened deliveries in the retry lane, lifts each endpoint once, and cancels only the retries that were waiting', async () => {
    ports.reopened = [reopened('d1', 'sub-1', true), reopened('d2', 'sub-1', false), reopened('d3', 'sub-2', false)];
    assert.equal(await service.resendMany('acme', ['a1', 'a2', 'a3']), 3);
    assert.deepEqual(ports.resumed.sort(), ['sub-1', 'sub-2']);
    assert.deepEqual(ports.submitted, [
      {
        lane: 'retry',
        items: [
          { deliveryId: 'd1', subscriptionId: 'sub-1', tenantId: 'acme' },
          { deliveryId: 'd2', subscriptionId: 'sub-1', tenantId: 'acme' },
          { deliveryId: 'd3', subscriptionId: 'sub-2', tenantId: 'acme' },
        ],
      },
    ]);
    assert.deepEqual(ports.cancelled, ['d1']);
  });

  it('refuses a replay window holding more than replayMaxDeliveries, naming since, and queues nothing', async () => {
    ports.tooMany = true;
    await assert.rejects(
      service.replay(subscription(), { since: new Date(0), until: new Date(), onlyFailed: false }),
      (e: unknown) => e instanceof WebhookValidationError && e.field === 'since',
    );
    assert.deepEqual(ports.submitted, []);
  });

  it('records a test send as an event and a delivery of its own, sent once even to an inactive subscription', async () => {
    const before = Date.now();
    const result = await service.sendTest(subscription({ isActive: false }));
    const [{ event, deliveries }] = ports.saved;
    assert.equal(event.webhookName, TEST_WEBHOOK_NAME);
    assert.equal(event.tenantId, 'acme');
    assert.equal(JSON.parse(event.data as string).subscriptionId, 'sub-1');
    assert.deepEqual(
      deliveries.map((d) => [d.webhookEventId, d.webhookSubscriptionId, d.state]),
      [[event.id, 'sub-1', 'pending']],
    );
    // Ids carry the event's time, as the history's partitions require.
    assert.ok(timeOfTimeOrderedId(event.id)!.getTime() >= before - 1);
    assert.equal(timeOfTimeOrderedId(deliveries[0].id)!.getTime(), event.creationTime.getTime());
    assert.deepEqual(ports.attempts, [
      { deliveryId: deliveries[0].id, policy: { sendToInactiveSubscription: true, retryOnFailure: false } },
    ]);
    assert.deepEqual(result, {
      webhookEventId: event.id,
      deliveryId: deliveries[0].id,
      attempt: { id: 'attempt-new', deliveryId: deliveries[0].id },
    });
  });
});
