import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { WebhookSendAttempt, WebhookSendAttemptStore } from '@hookline/webhooks';
import { hooklineFixture } from './support/hookline';

/** The attempt store, on PostgreSQL: attempts recorded together keep each subscription's own count. */
describe('recording attempts of several subscriptions together', () => {
  // The API alone: nothing sends, so the test decides every attempt.
  const t = hooklineFixture({ ROLE: 'api' });

  it('gives each subscription its own run of consecutive failures, not the batch highest', async () => {
    const long = await t.api.subscribe({
      webhookUri: t.receiver.url('/long'),
      webhooks: ['order.created'],
      maxSendAttemptCount: 50,
    });
    const fresh = await t.api.subscribe({
      webhookUri: t.receiver.url('/fresh'),
      webhooks: ['order.created'],
      maxSendAttemptCount: 50,
    });
    await t.env.query('UPDATE webhook_subscriptions SET consecutive_failure_count = 9 WHERE id = $1', [long.id]);
    const eventId = await t.api.publish({ webhookName: 'order.created', data: { id: 1 } });
    const deliveries = await t.env.query<{ id: string; subscriptionId: string }>(
      'SELECT id, webhook_subscription_id AS "subscriptionId" FROM webhook_deliveries WHERE webhook_event_id = $1',
      [eventId],
    );
    const failed = (subscriptionId: string): WebhookSendAttempt => ({
      id: randomUUID(),
      deliveryId: deliveries.find((d) => d.subscriptionId === subscriptionId)!.id,
      webhookEventId: eventId,
      webhookSubscriptionId: subscriptionId,
      tenantId: null,
      attemptNumber: 1,
      succeeded: false,
      responseStatusCode: 500,
      response: 'down',
      requestHeaders: {},
      responseHeaders: null,
      durationMs: 3,
      error: null,
      creationTime: new Date(),
    });
    const store = t.hookline.app.get(WebhookSendAttemptStore);
    const retry = { state: 'pending' as const, nextAttemptAt: new Date(Date.now() + 60_000) };
    // Recorded in the same tick, so in one batch.
    const [longRun, freshRun] = await Promise.all([store.record(failed(long.id), retry), store.record(failed(fresh.id), retry)]);
    assert.equal(longRun.consecutiveFailures, 10);
    assert.equal(freshRun.consecutiveFailures, 1, 'a first failure is counted as one, whatever the batch holds');
    const counts = await t.env.query<{ id: string; n: number }>(
      'SELECT id, consecutive_failure_count AS n FROM webhook_subscriptions',
    );
    assert.deepEqual(
      new Map(counts.map((c) => [c.id, c.n])),
      new Map([
        [long.id, 10],
        [fresh.id, 1],
      ]),
    );
    assert.equal((await t.env.rowCounts()).attempts, 2);
  });
});
