import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebhookPublisher } from '@hookline/webhooks';
import { hooklineFixture } from './support/hookline';
import { waitUntil } from './support/wait';

const TENANTS = ['bt0', 'bt1', 'bt2', 'bt3', 'bt4'];

/**
 * Publishes that arrive together are matched, stored and enqueued together. Each caller must still get its
 * own answer: its own event, the deliveries of its own tenant and webhook, and its own failure.
 */
describe('publishes stored together', () => {
  const t = hooklineFixture();

  it('gives each of many concurrent publishes (tenants, host, several webhooks, several tenants at once) its own result', async () => {
    // Per tenant: one subscription to order.*, one to customer.created; the host: one to '*'.
    for (const tenant of TENANTS) {
      await t.api.subscribe({ webhookUri: t.receiver.url(`/b/${tenant}/orders`), webhooks: ['order.*'] }, tenant);
      await t.api.subscribe({ webhookUri: t.receiver.url(`/b/${tenant}/customers`), webhooks: ['customer.created'] }, tenant);
    }
    await t.api.subscribe({ webhookUri: t.receiver.url('/b/host'), webhooks: ['*'] });
    const publisher = t.hookline.app.get(WebhookPublisher);

    const names = ['order.created', 'customer.created', 'invoice.finalized'];
    const singles = Array.from({ length: 60 }, (_, i) => ({
      webhookName: names[i % names.length],
      tenantId: i % 10 === 9 ? null : TENANTS[i % TENANTS.length],
      data: { i },
    }));
    const [results, multi] = await Promise.all([
      Promise.all(singles.map((p) => publisher.publish(p))),
      publisher.publishToTenants({ webhookName: 'order.paid', data: { multi: true }, tenantIds: ['bt0', 'bt1', 'nobody'] }),
    ]);

    const expectedDeliveries = (p: (typeof singles)[number]) =>
      p.tenantId === null ? 1 : p.webhookName === 'invoice.finalized' ? 0 : 1;
    for (const [i, result] of results.entries()) {
      const [event] = await t.env.query<{ tenant_id: string | null; webhook_name: string; data: string; deliveries: string }>(
        `SELECT e.tenant_id, e.webhook_name, e.data,
                (SELECT count(*) FROM webhook_deliveries d WHERE d.webhook_event_id = e.id) AS deliveries
         FROM webhook_events e WHERE e.id = $1`,
        [result.webhookEventId],
      );
      assert.deepEqual(
        { tenant: event.tenant_id, name: event.webhook_name, data: JSON.parse(event.data), deliveries: Number(event.deliveries) },
        { tenant: singles[i].tenantId, name: singles[i].webhookName, data: { i }, deliveries: expectedDeliveries(singles[i]) },
        `publish ${i}`,
      );
      assert.equal(result.deliveryCount, expectedDeliveries(singles[i]), `publish ${i} reports its own delivery count`);
    }
    assert.equal(new Set(results.map((r) => r.webhookEventId)).size, results.length, 'every publish has its own event');
    assert.deepEqual(
      multi.events.map((e) => [e.tenantId, e.deliveryCount]),
      [
        ['bt0', 1],
        ['bt1', 1],
        ['nobody', 0],
      ],
    );

    // 54 tenant publishes: 18 order.created and 18 customer.created reach a subscription, 18 invoices none;
    // the 6 host publishes reach the host's '*'; the multi-tenant one reaches bt0 and bt1.
    const total = results.reduce((n, r) => n + r.deliveryCount, 0) + 2;
    assert.equal(total, 18 + 18 + 6 + 2);
    await waitUntil(() => t.receiver.requests().length >= total, {
      message: () => `${t.receiver.requests().length} of ${total} sent`,
    });
    const perPath = (path: string) => t.receiver.requests(path).length;
    assert.equal(perPath('/b/host'), 6);
    for (const tenant of TENANTS) {
      const orders = singles.filter((p) => p.tenantId === tenant && p.webhookName === 'order.created').length;
      const extra = tenant === 'bt0' || tenant === 'bt1' ? 1 : 0;
      assert.equal(perPath(`/b/${tenant}/orders`), orders + extra, tenant);
    }
  });

  it('fails only the publish that cannot be stored, not the others stored with it', async () => {
    // A real failure inside the one INSERT of a batch: a trigger that refuses one tenant's events.
    await t.env.query(`
      CREATE FUNCTION refuse_poisoned() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'tenant poisoned is refused'; END $$`);
    await t.env.query(`
      CREATE TRIGGER refuse_poisoned BEFORE INSERT ON webhook_events
      FOR EACH ROW WHEN (NEW.tenant_id = 'poisoned') EXECUTE FUNCTION refuse_poisoned()`);
    const publisher = t.hookline.app.get(WebhookPublisher);
    const tenants = Array.from({ length: 20 }, (_, i) => (i === 7 ? 'poisoned' : `ok${i}`));
    const settled = await Promise.allSettled(
      tenants.map((tenantId) => publisher.publish({ webhookName: 'order.created', tenantId, data: { tenantId } })),
    );

    const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [[tenants[i], (s.reason as Error).message]] : []));
    assert.deepEqual(failed, [['poisoned', 'tenant poisoned is refused']]);
    const stored = await t.env.query<{ tenant_id: string }>(
      `SELECT tenant_id FROM webhook_events WHERE tenant_id = ANY($1::varchar[]) ORDER BY tenant_id`,
      [tenants],
    );
    assert.deepEqual(
      stored.map((r) => r.tenant_id),
      tenants.filter((x) => x !== 'poisoned').sort(),
    );
  });
});
