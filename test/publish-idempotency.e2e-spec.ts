import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebhookPublisher } from '@hookline/webhooks';
import { ApiErrorBody, hooklineFixture } from './support/hookline';

const PUBLISH = '/api/webhooks/publish';
const DATA_LIMIT = 2048;
const event = { webhookName: 'order.created', data: { orderId: 'o-1' } };

/** Idempotency-Key, publishing to several tenants at once, and the data size limit. */
describe('publish: idempotency, several tenants, data size', () => {
  const t = hooklineFixture({ WEBHOOKS_MAX_EVENT_DATA_BYTES: String(DATA_LIMIT) });

  const publish = (body: unknown, key?: string, tenant?: string) =>
    t.api.request('POST', PUBLISH, { body, tenant, headers: key === undefined ? {} : { 'Idempotency-Key': key } });
  /** What a publish stores (attempts are left out: earlier deliveries are still being sent). */
  const stored = async () => {
    const { subscriptions, events, deliveries } = await t.env.rowCounts();
    const [{ keys }] = await t.env.query<{ keys: string }>('SELECT count(*) AS keys FROM webhook_idempotency_keys');
    return { subscriptions, events, deliveries, keys: Number(keys) };
  };
  const eventCount = async (where = 'true', params: unknown[] = []) =>
    Number((await t.env.query<{ n: string }>(`SELECT count(*) AS n FROM webhook_events WHERE ${where}`, params))[0].n);

  it('answers a repeated Idempotency-Key with the first answer and stores one event', async () => {
    await t.api.subscribe({ webhookUri: t.receiver.url('/idem'), webhooks: ['order.created'] }, 'acme');
    const first = await publish({ ...event, data: { orderId: 'idem-1' } }, 'key-1', 'acme');
    const second = await publish({ ...event, data: { orderId: 'idem-1' } }, 'key-1', 'acme');
    assert.equal(first.status, 202);
    assert.equal(second.status, first.status);
    assert.deepEqual(second.body, first.body);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.equal(await eventCount(`data::jsonb->>'orderId' = 'idem-1'`), 1);
    const deliveries = await t.env.query('SELECT id FROM webhook_deliveries WHERE webhook_event_id = $1', [
      first.body.webhookEventId,
    ]);
    assert.equal(deliveries.length, 1);
    const [received] = await t.receiver.waitForRequests('/idem', 1);
    assert.equal(JSON.parse(received.body).id, first.body.webhookEventId);
  });

  it('stores one event for concurrent publishes with one key, all answering the same', async () => {
    const body = { ...event, data: { orderId: 'race' } };
    const answers = await Promise.all(Array.from({ length: 6 }, () => publish(body, 'race-key', 'acme')));
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(6).fill(202),
    );
    assert.equal(new Set(answers.map((a) => a.body.webhookEventId)).size, 1);
    assert.equal(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true').length, 5);
    assert.equal(await eventCount(`data::jsonb->>'orderId' = 'race'`), 1);
  });

  it('refuses the same key with a different request (409) and stores nothing', async () => {
    await publish({ ...event, data: { orderId: 'k2' } }, 'key-2', 'acme');
    const before = await stored();
    const other = await publish({ ...event, data: { orderId: 'k2-changed' } }, 'key-2', 'acme');
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'Conflict');
    assert.match(other.body.error.message, /different request/);
    assert.deepEqual(await stored(), before);
  });

  it('keeps keys apart per tenant', async () => {
    const body = { ...event, data: { orderId: 'shared-key' } };
    const a = await publish(body, 'shared', 'tenant-a');
    const b = await publish(body, 'shared', 'tenant-b');
    const host = await publish(body, 'shared');
    assert.equal(new Set([a.body.webhookEventId, b.body.webhookEventId, host.body.webhookEventId]).size, 3);
  });

  it('ignores an expired key and cleans expired keys as new ones are claimed', async () => {
    const first = await publish({ ...event, data: { orderId: 'exp' } }, 'expiring', 'acme');
    await t.env.query(
      `INSERT INTO webhook_idempotency_keys (tenant_id, idempotency_key, request_hash, result, creation_time, expires_at)
       SELECT 'old', 'old-' || i, repeat('0', 64), '[]', now() - interval '2 days', now() - interval '1 day'
       FROM generate_series(1, 3) AS i`,
    );
    await t.env.query(
      `UPDATE webhook_idempotency_keys SET expires_at = now() - interval '1 second' WHERE idempotency_key = 'expiring'`,
    );
    const again = await publish({ ...event, data: { orderId: 'exp' } }, 'expiring', 'acme');
    assert.equal(again.status, 202);
    assert.notEqual(again.body.webhookEventId, first.body.webhookEventId);
    assert.equal(again.headers.get('idempotent-replayed'), null);
    const expired = async () =>
      Number(
        (await t.env.query<{ n: string }>(`SELECT count(*) AS n FROM webhook_idempotency_keys WHERE expires_at < now()`))[0].n,
      );
    assert.equal(await expired(), 1, 'taking over the key deleted two of the three expired ones');
    await publish({ ...event, data: { orderId: 'exp-2' } }, 'another', 'acme');
    assert.equal(await expired(), 0);
  });

  it('gives in-process publishers the same guarantee', async () => {
    const publisher = t.hookline.app.get(WebhookPublisher);
    const input = { ...event, data: { orderId: 'amqp' }, tenantId: 'acme', idempotencyKey: 'amqp:message-1' };
    const first = await publisher.publish(input);
    const second = await publisher.publish(input);
    assert.equal(second.webhookEventId, first.webhookEventId);
    assert.deepEqual([first.replayed, second.replayed], [false, true]);
    await assert.rejects(publisher.publish({ ...input, idempotencyKey: ' padded' }), /idempotencyKey/);
  });

  it("publishes one event per tenant with tenantIds, reaching each tenant's receiver", async () => {
    for (const tenant of ['multi-1', 'multi-2']) {
      await t.api.subscribe({ webhookUri: t.receiver.url(`/${tenant}`), webhooks: ['customer.*'] }, tenant);
    }
    const body = { webhookName: 'customer.created', data: { customerId: 'c-9' }, tenantIds: ['multi-1', 'multi-2', 'multi-3'] };
    const { status, body: answer } = await publish(body, 'multi-key');
    assert.equal(status, 202);
    assert.deepEqual(
      answer.items.map((i: { tenantId: string }) => i.tenantId),
      ['multi-1', 'multi-2', 'multi-3'],
    );
    for (const { tenantId, webhookEventId } of answer.items) {
      const [stored] = await t.env.query('SELECT tenant_id FROM webhook_events WHERE id = $1', [webhookEventId]);
      assert.equal(stored.tenant_id, tenantId);
    }
    for (const [i, tenant] of ['multi-1', 'multi-2'].entries()) {
      const [received] = await t.receiver.waitForRequests(`/${tenant}`, 1);
      assert.equal(JSON.parse(received.body).id, answer.items[i].webhookEventId);
    }
    const replay = await publish(body, 'multi-key');
    assert.deepEqual(replay.body, answer);
    assert.equal(await eventCount(`data::jsonb->>'customerId' = 'c-9'`), 3);
  });

  it('lets only the host acting as the host publish to several tenants (403), storing nothing', async () => {
    const before = await stored();
    const { status } = await publish({ ...event, tenantIds: ['x'] }, undefined, 'acme');
    assert.equal(status, 403);
    assert.deepEqual(await stored(), before);
  });

  it(`refuses data past WEBHOOKS_MAX_EVENT_DATA_BYTES (413 naming data), storing nothing`, async () => {
    const before = await stored();
    const { status, body } = await publish({ ...event, data: { blob: 'x'.repeat(DATA_LIMIT) } }, undefined, 'acme');
    assert.equal(status, 413);
    assert.equal(body.error.code, 'PayloadTooLarge');
    assert.equal(body.error.details[0].field, 'data');
    assert.deepEqual(await stored(), before);
    const fits = await publish({ ...event, data: { blob: 'x'.repeat(DATA_LIMIT - 20) } }, undefined, 'acme');
    assert.equal(fits.status, 202);
  });

  const BAD: { name: string; body?: unknown; key?: string; field: string }[] = [
    { name: 'empty Idempotency-Key', key: '', field: 'Idempotency-Key' },
    { name: 'Idempotency-Key too long', key: 'k'.repeat(256), field: 'Idempotency-Key' },
    { name: 'Idempotency-Key not ASCII', key: 'clé', field: 'Idempotency-Key' },
    { name: 'tenantIds not a list', body: { ...event, tenantIds: 'a' }, field: 'tenantIds' },
    { name: 'tenantIds empty', body: { ...event, tenantIds: [] }, field: 'tenantIds' },
    { name: 'tenantIds of numbers', body: { ...event, tenantIds: [1] }, field: 'tenantIds' },
    {
      name: 'tenantIds too many',
      body: { ...event, tenantIds: Array.from({ length: 101 }, (_, i) => `t${i}`) },
      field: 'tenantIds',
    },
    { name: 'a bad tenant id', body: { ...event, tenantIds: ['ok', 'not ok!'] }, field: 'tenantIds[1]' },
    { name: 'a tenant listed twice', body: { ...event, tenantIds: ['a', 'b', 'a'] }, field: 'tenantIds[2]' },
  ];
  for (const c of BAD) {
    it(`${c.name} → 400 naming ${c.field}`, async () => {
      const before = await stored();
      const { status, body } = await t.api.request<ApiErrorBody>('POST', PUBLISH, {
        body: c.body ?? event,
        headers: c.key === undefined ? {} : { 'Idempotency-Key': c.key },
      });
      assert.equal(status, 400, JSON.stringify(body));
      assert.ok(
        body.error.details.some((d) => d.field === c.field),
        `expected '${c.field}' in ${JSON.stringify(body.error.details)}`,
      );
      assert.deepEqual(await stored(), before);
    });
  }
});
