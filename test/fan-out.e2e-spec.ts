import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryDispatch, DeliverySweeper } from '@hookline/webhooks';
import { hooklineFixture } from './support/hookline';

const SUBSCRIPTIONS = 10_000;

/** A large fan-out: more deliveries than one INSERT statement can carry parameters for. */
describe('large fan-out', () => {
  const t = hooklineFixture({ ROLE: 'api' });

  it(`stores one delivery per subscription for ${SUBSCRIPTIONS} matching subscriptions, in one transaction`, async () => {
    // Seeded in SQL: creating ten thousand subscriptions through the API would only slow the test down.
    await t.env.query(
      `INSERT INTO webhook_subscriptions (id, tenant_id, webhook_uri, secret, webhooks, headers, is_active, concurrency_stamp)
       SELECT gen_random_uuid(), 'big', 'https://example.com/h/' || i, 'whsec_x', ARRAY['order.*'], '{}', true, 'x'
       FROM generate_series(1, $1::int) AS i`,
      [SUBSCRIPTIONS],
    );
    const eventId = await t.api.publish({ webhookName: 'order.created', data: { big: true } }, 'big');
    const [{ count }] = await t.env.query<{ count: string }>(
      'SELECT count(*) FROM webhook_deliveries WHERE webhook_event_id = $1',
      [eventId],
    );
    assert.equal(Number(count), SUBSCRIPTIONS);
  });

  it('leaves them alone in a sweep while the scheduler holds them, and hands every one over again after Redis lost them all', async () => {
    const waiting = async () => (await t.hookline.app.get(DeliveryDispatch).counts()).waiting;
    assert.equal(await waiting(), SUBSCRIPTIONS, 'publishing handed every delivery to the scheduler');
    const sweeper = t.hookline.app.get(DeliverySweeper);
    const farFuture = new Date(Date.now() + 24 * 3600 * 1000); // every pending delivery is past the grace period
    assert.equal(await sweeper.sweep(farFuture), 0, 'a backlog still in the queue is not added again');

    await t.env.flushRedis();
    assert.equal(await waiting(), 0);
    assert.equal(await sweeper.sweep(farFuture), SUBSCRIPTIONS);
    assert.equal(await waiting(), SUBSCRIPTIONS, 'each is held again');
    assert.equal(await sweeper.sweep(farFuture), 0, 'and not handed over twice');
  });
});
