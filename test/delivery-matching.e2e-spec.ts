import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { hooklineFixture } from './support/hookline';

/** Issue test 1: a published event reaches each matching subscription exactly once, and nothing else. */
describe('tenant-scoped matching', () => {
  const t = hooklineFixture();

  before(async () => {
    const sub = (path: string, webhooks: string[], tenant?: string, extra: object = {}) =>
      t.api.subscribe({ webhookUri: t.receiver.url(path), webhooks, ...extra }, tenant);
    await sub('/a-exact', ['order.created'], 'tenant-a');
    await sub('/a-prefix', ['order.*'], 'tenant-a');
    await sub('/a-all', ['*'], 'tenant-a');
    await sub('/a-twice', ['order.created', 'order.*', '*'], 'tenant-a');
    await sub('/a-other-name', ['customer.created', 'order.paid'], 'tenant-a');
    await sub('/a-inactive', ['order.created'], 'tenant-a', { isActive: false });
    await sub('/b-exact', ['order.created'], 'tenant-b');
    await sub('/host-exact', ['order.created']);
    await sub('/host-all', ['*']);
  });

  it("delivers a tenant's event to each of its matching subscriptions exactly once", async () => {
    const eventId = await t.api.publish({ webhookName: 'order.created', data: { orderId: 'o-1' } }, 'tenant-a');
    for (const path of ['/a-exact', '/a-prefix', '/a-all', '/a-twice']) await t.receiver.waitForRequests(path, 1);
    await t.env.deliveriesSettled();
    for (const path of ['/a-exact', '/a-prefix', '/a-all', '/a-twice']) {
      const requests = t.receiver.requests(path);
      assert.equal(requests.length, 1, `${path} got ${requests.length} requests`);
      assert.equal(JSON.parse(requests[0].body).id, eventId);
    }
    for (const path of ['/a-other-name', '/a-inactive', '/b-exact', '/host-exact', '/host-all']) {
      assert.equal(t.receiver.requests(path).length, 0, `${path} must get nothing`);
    }
    const [{ count }] = await t.env.query<{ count: string }>(
      'SELECT count(*) FROM webhook_deliveries WHERE webhook_event_id = $1',
      [eventId],
    );
    assert.equal(Number(count), 4);
  });

  it('delivers a host event to host subscriptions only', async () => {
    const before = t.receiver.requests().length;
    await t.api.publish({ webhookName: 'order.created', data: { orderId: 'o-2' } });
    await t.receiver.waitForRequests('/host-exact', 1);
    await t.receiver.waitForRequests('/host-all', 1);
    await t.env.deliveriesSettled();
    assert.equal(t.receiver.requests().length, before + 2);
  });

  it('delivers nothing for a webhook no subscription names, but records the event', async () => {
    const before = t.receiver.requests().length;
    const eventId = await t.api.publish({ webhookName: 'invoice.finalized', data: { invoiceId: 'i-1' } }, 'tenant-b');
    await t.env.deliveriesSettled();
    assert.equal(t.receiver.requests().length, before);
    const events = await t.env.query('SELECT id FROM webhook_events WHERE id = $1', [eventId]);
    assert.equal(events.length, 1);
  });
});
