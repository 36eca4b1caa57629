import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hooklineFixture, sendsSettled } from './support/hookline';
import { waitUntil } from './support/wait';

const N = 3;

/** Issue test 6: N consecutive failed attempts of one subscription deactivate it, and only it; 410 at once. */
describe('automatic deactivation', () => {
  // One attempt per delivery, so each published event is exactly one attempt.
  const t = hooklineFixture({ WEBHOOKS_MAX_CONSECUTIVE_FAILURES: String(N), WEBHOOKS_MAX_SEND_ATTEMPT_COUNT: '1' });

  const subscription = async (id: string, tenant: string) => (await t.api.get(`/api/webhooks/subscriptions/${id}`, tenant)).body;

  it('counts failures per subscription, resets on success, and deactivates only the failing one', async () => {
    // /failing answers: fail, fail, ok, then fail forever. /healthy always answers 200; /other fails once.
    t.receiver.on('/failing', (_, n) => ({ status: n === 2 ? 200 : 500 }));
    t.receiver.on('/other', [500, 200]);
    const failing = await t.api.subscribe({ webhookUri: t.receiver.url('/failing'), webhooks: ['order.created'] }, 'acme');
    const healthy = await t.api.subscribe({ webhookUri: t.receiver.url('/healthy'), webhooks: ['order.created'] }, 'acme');
    await t.api.subscribe({ webhookUri: t.receiver.url('/other'), webhooks: ['order.created'] }, 'acme');

    const publishAndSettle = async (i: number) => {
      await t.api.publish({ webhookName: 'order.created', data: { i } }, 'acme');
      await t.receiver.waitForRequests('/healthy', i);
      await waitUntil(async () => {
        const [{ pending }] = await t.env.query<{ pending: string }>(
          `SELECT count(*) AS pending FROM webhook_deliveries WHERE state = 'pending'`,
        );
        return Number(pending) === 0;
      });
    };

    // fail, fail, ok: the run is broken by the success, so N-1 failures after it do not deactivate.
    for (let i = 1; i <= 3 + (N - 1); i++) await publishAndSettle(i);
    let state = await subscription(failing.id, 'acme');
    assert.equal(state.isActive, true);
    assert.equal(state.consecutiveFailureCount, N - 1);

    // The N-th consecutive failure deactivates it, with the reason and time.
    await publishAndSettle(3 + N);
    state = await subscription(failing.id, 'acme');
    assert.equal(state.isActive, false);
    assert.match(state.deactivationReason, new RegExp(`${N} consecutive failed attempts`));
    assert.ok(state.deactivatedAt);
    assert.equal((await subscription(healthy.id, 'acme')).isActive, true);

    // Afterwards the healthy subscription keeps receiving; the deactivated one gets nothing new.
    const failingRequests = t.receiver.requests('/failing').length;
    await publishAndSettle(4 + N);
    await sendsSettled(t.env, t.hookline);
    assert.equal(t.receiver.requests('/failing').length, failingRequests);
    assert.equal(t.receiver.requests('/healthy').length, 4 + N);
  });

  it('deactivates at once on 410 Gone and stops the pending retries of that subscription', async () => {
    t.receiver.on('/gone', [410]);
    const gone = await t.api.subscribe(
      { webhookUri: t.receiver.url('/gone'), webhooks: ['customer.created'], maxSendAttemptCount: 5 },
      'beta',
    );
    const eventId = await t.api.publish({ webhookName: 'customer.created', data: { id: 1 } }, 'beta');
    await waitUntil(async () => (await subscription(gone.id, 'beta')).isActive === false);
    const state = await subscription(gone.id, 'beta');
    assert.match(state.deactivationReason, /410/);
    await sendsSettled(t.env, t.hookline);
    assert.equal(t.receiver.requests('/gone').length, 1, 'no retry after 410');
    const [delivery] = await t.env.query<{ state: string }>('SELECT state FROM webhook_deliveries WHERE webhook_event_id = $1', [
      eventId,
    ]);
    assert.notEqual(delivery.state, 'pending');
  });
});
