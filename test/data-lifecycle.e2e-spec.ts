import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { DeliveryDispatch } from '@hookline/webhooks';
import { WebhookDataLifecycleStore, WebhooksPermissions } from '@hookline/webhooks-management';
import { ScratchEnvironment, hooklineFixture, startHookline } from './support/hookline';
import { waitUntil } from './support/wait';

const TENANTS = '/api/webhooks/tenants';
const unique = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

/** Every row of every table of the schema, as JSON text, by table (tables enumerated, so none is missed). */
async function snapshot(env: ScratchEnvironment): Promise<Map<string, string[]>> {
  const tables = await env.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const rows = new Map<string, string[]>();
  for (const { name } of tables) {
    const found = await env.query<{ row: string }>(`SELECT to_jsonb(t)::text AS row FROM "${name}" t`);
    rows.set(name, found.map((r) => r.row).sort());
  }
  return rows;
}

/** The rows (JSON text) that name the tenant, or any id found in a row with its tenant id. */
function rowsOf(tenantId: string, all: Map<string, string[]>): Map<string, string[]> {
  const ids = new Set<string>();
  for (const rows of all.values()) {
    for (const text of rows) {
      const row = JSON.parse(text) as Record<string, unknown>;
      if (row.tenant_id === tenantId) {
        for (const value of Object.values(row)) if (typeof value === 'string' && /^[0-9a-f-]{36}$/.test(value)) ids.add(value);
      }
    }
  }
  const mentions = (text: string) => text.includes(`"${tenantId}"`) || [...ids].some((id) => text.includes(id));
  return new Map([...all].map(([table, rows]) => [table, rows.filter(mentions)]));
}

/** DELETE tenants/{id} (host only, in the background, resumable) and POST events/{id}/expunge. */
describe('data lifecycle: tenant erasure and expunge', () => {
  // Retries far away: a failed first attempt leaves its delivery pending for the whole test.
  const t = hooklineFixture({ WEBHOOKS_RETRY_BASE_DELAY_MS: '600000', WEBHOOKS_RETRY_MAX_DELAY_MS: '600000' });

  /** A subscription, an API key, and events (one with an Idempotency-Key) delivered and attempted. */
  async function fillTenant(tenantId: string): Promise<void> {
    await t.api.subscribe({ webhookUri: t.receiver.url(`/${tenantId}`), webhooks: ['order.*'] }, tenantId);
    const key = await t.api.request('POST', '/api/webhooks/api-keys', {
      body: { name: 'publisher', permissions: [WebhooksPermissions.Publish] },
      tenant: tenantId,
    });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    for (let n = 0; n < 3; n++) await t.api.publish({ webhookName: 'order.created', data: { n, tenantId } }, tenantId);
    const keyed = await t.api.request('POST', '/api/webhooks/publish', {
      body: { webhookName: 'order.paid', data: { tenantId } },
      tenant: tenantId,
      headers: { 'Idempotency-Key': `key-${tenantId}` },
    });
    assert.equal(keyed.status, 202, JSON.stringify(keyed.body));
  }

  const erasure = async (tenantId: string) => (await t.api.get(`${TENANTS}/${tenantId}/erasure`)).body;

  it("erases every row of the tenant from every table, and nothing of another tenant's or the host's", async () => {
    const erased = unique('erased');
    const kept = unique('kept');
    await fillTenant(erased);
    await fillTenant(kept);
    await t.api.subscribe({ webhookUri: t.receiver.url('/host'), webhooks: ['order.*'] });
    await t.api.publish({ webhookName: 'order.created', data: { host: true } });
    await t.env.deliveriesSettled();

    const before = await snapshot(t.env);
    const ofErased = rowsOf(erased, before);
    for (const table of [
      'webhook_subscriptions',
      'webhook_api_keys',
      'webhook_events',
      'webhook_deliveries',
      'webhook_send_attempts',
      'webhook_idempotency_keys',
    ]) {
      assert.ok(ofErased.get(table)!.length > 0, `the erased tenant has rows in ${table} to erase`);
    }

    const started = await t.api.delete(`${TENANTS}/${erased}`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.tenantId, erased);
    await waitUntil(async () => (await erasure(erased)).state === 'completed', {
      message: () => 'the erasure did not complete',
    });

    const after = await snapshot(t.env);
    for (const [table, rows] of before) {
      if (table === 'webhook_tenant_erasures') continue;
      const expected = rows.filter((r) => !ofErased.get(table)!.includes(r));
      assert.deepEqual(after.get(table), expected, `${table}: exactly the erased tenant's rows are gone`);
    }
    assert.deepEqual([...after.keys()], [...before.keys()]);
    const record = after.get('webhook_tenant_erasures')!.map((r) => JSON.parse(r));
    assert.deepEqual(
      record.map((r) => [r.tenant_id, r.state]),
      [[erased, 'completed']],
      'only the erasure record names the tenant afterwards',
    );
    const done = await erasure(erased);
    for (const table of ['webhook_send_attempts', 'webhook_deliveries', 'webhook_events', 'webhook_api_keys']) {
      assert.equal(done.deletedRows[table], ofErased.get(table)!.length, `${table} deletions counted`);
    }
    assert.ok(done.completedAt);
  });

  it("erasing a tenant drops its endpoints' limits from the scheduler, and leaves another tenant's", async () => {
    const erased = unique('limits-erased');
    const kept = unique('limits-kept');
    const limits = { webhooks: ['order.*'], maxConcurrentSends: 3, rateLimitPerSecond: 10 };
    const gone = await t.api.subscribe({ webhookUri: t.receiver.url('/limits-erased'), ...limits }, erased);
    const stays = await t.api.subscribe({ webhookUri: t.receiver.url('/limits-kept'), ...limits }, kept);
    const dispatch = t.hookline.app.get(DeliveryDispatch);
    const limitsOf = async (id: string) => {
      const { concurrency, ratePerSecond } = await dispatch.endpointStatus(id);
      return { concurrency, ratePerSecond };
    };
    assert.deepEqual(await limitsOf(gone.id), { concurrency: 3, ratePerSecond: 10 });

    assert.equal((await t.api.delete(`${TENANTS}/${erased}`)).status, 202);
    await waitUntil(async () => (await erasure(erased)).state === 'completed');
    const forgotten = await limitsOf(gone.id);
    assert.equal(forgotten.ratePerSecond, null);
    assert.notEqual(forgotten.concurrency, 3, 'the default cap again');
    assert.deepEqual(
      await limitsOf(stays.id),
      { concurrency: 3, ratePerSecond: 10 },
      "the other tenant's endpoint keeps its limits",
    );
  });

  it("deletes at most a batch's rows per statement, though the tenant's rows lie in several day partitions", async () => {
    const tenantId = unique('batched');
    // Three events a day apart (today and the next two days), each with a delivery and an attempt: one row of
    // each in three partitions per table, each likely at the same place (ctid) of its partition.
    await t.env.query(
      `WITH e AS (
         INSERT INTO webhook_events (id, tenant_id, webhook_name, data, creation_time)
         SELECT gen_random_uuid(), $1, 'order.created', '{}', now() + d * interval '1 day' FROM generate_series(0, 2) d
         RETURNING id, creation_time
       ), d AS (
         INSERT INTO webhook_deliveries (id, webhook_event_id, webhook_subscription_id, tenant_id, state, attempt_count,
           creation_time, event_creation_time)
         SELECT gen_random_uuid(), e.id, gen_random_uuid(), $1, 'succeeded', 1, e.creation_time, e.creation_time FROM e
         RETURNING id, webhook_event_id, webhook_subscription_id, creation_time
       )
       INSERT INTO webhook_send_attempts (id, delivery_id, webhook_event_id, webhook_subscription_id, tenant_id,
         attempt_number, succeeded, request_headers, duration_ms, creation_time, event_creation_time)
       SELECT gen_random_uuid(), d.id, d.webhook_event_id, d.webhook_subscription_id, $1, 1, true, '{}', 5, d.creation_time,
         d.creation_time FROM d`,
      [tenantId],
    );
    // Held by this test (a lease far ahead), so no process's background run takes it.
    await t.env.query(
      `INSERT INTO webhook_tenant_erasures (tenant_id, state, requested_at, lease_until)
       VALUES ($1, 'running', now(), now() + interval '1 hour')`,
      [tenantId],
    );
    const count = async (table: string) =>
      Number((await t.env.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = $1`, [tenantId]))[0].n);
    const store = t.hookline.app.get(WebhookDataLifecycleStore);
    const batches: string[] = [];
    for (;;) {
      const before =
        (await count('webhook_send_attempts')) + (await count('webhook_deliveries')) + (await count('webhook_events'));
      const batch = await store.eraseBatch(tenantId, 2, new Date(Date.now() + 3600_000));
      if (!batch) break;
      const after =
        (await count('webhook_send_attempts')) + (await count('webhook_deliveries')) + (await count('webhook_events'));
      assert.ok(batch.deleted <= 2, `${batch.table}: ${batch.deleted} rows in a batch of 2`);
      assert.equal(before - after, batch.deleted, `${batch.table}: the rows deleted are the rows counted`);
      batches.push(`${batch.table} ${batch.deleted}`);
    }
    assert.deepEqual(batches.filter((b) => b.startsWith('webhook_send_attempts')).length, 3, batches.join(', '));
    assert.equal((await erasure(tenantId)).deletedRows.webhook_events, 3);
    assert.equal(await count('webhook_events'), 0);
  });

  it('is for the host only, validates the tenant id, and 404s an erasure never requested', async () => {
    const acting = await t.api.request('DELETE', `${TENANTS}/someone`, { tenant: 'someone' });
    assert.equal(acting.status, 403);
    const key = await t.api.request('POST', '/api/webhooks/api-keys', {
      body: { name: 'all', permissions: [WebhooksPermissions.Tenants.Default, WebhooksPermissions.Tenants.Erase] },
      tenant: 'someone',
    });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    assert.equal((await t.api.as(key.body.key).delete(`${TENANTS}/someone`)).status, 403);
    assert.equal((await t.api.as(key.body.key).get(`${TENANTS}/someone/erasure`)).status, 403);

    const invalid = await t.api.delete(`${TENANTS}/${encodeURIComponent('bad tenant!')}`);
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error.details[0].field, 'tenantId');
    const never = await t.api.get(`${TENANTS}/${unique('never')}/erasure`);
    assert.equal(never.status, 404);
    assert.equal((await t.env.query(`SELECT 1 FROM webhook_api_keys WHERE tenant_id = 'someone'`)).length, 1);
  });

  it('is finished by the next process when the one running it stopped half-way', async () => {
    const tenantId = unique('resumed');
    await fillTenant(tenantId);
    await t.env.deliveriesSettled();
    await t.hookline.close();
    // What a process that died after erasing the attempts leaves: a running erasure, its lease run out.
    const attempts = await t.env.query(`DELETE FROM webhook_send_attempts WHERE tenant_id = $1 RETURNING 1`, [tenantId]);
    await t.env.query(
      `INSERT INTO webhook_tenant_erasures (tenant_id, state, requested_at, deleted_rows, lease_until)
       VALUES ($1, 'running', now(), jsonb_build_object('webhook_send_attempts', $2::int), now() - interval '1 minute')`,
      [tenantId, attempts.length],
    );
    t.hookline = await startHookline(t.env, {
      WEBHOOKS_RETRY_BASE_DELAY_MS: '600000',
      WEBHOOKS_RETRY_MAX_DELAY_MS: '600000',
    });
    t.api = t.hookline.api;
    await waitUntil(async () => (await erasure(tenantId)).state === 'completed', {
      message: () => 'the erasure was not resumed',
    });
    const left = await t.env.query(
      `SELECT (SELECT count(*) FROM webhook_events WHERE tenant_id = $1) + (SELECT count(*) FROM webhook_deliveries WHERE tenant_id = $1)
            + (SELECT count(*) FROM webhook_subscriptions WHERE tenant_id = $1) AS n`,
      [tenantId],
    );
    assert.equal(Number(left[0].n), 0);
    assert.equal((await erasure(tenantId)).deletedRows.webhook_send_attempts, attempts.length);
  });

  it("expunges an event's payload and its attempts' stored bodies and headers, keeps the metadata, and abandons what is pending", async () => {
    const tenantId = unique('expunge');
    t.receiver.on(`/${tenantId}/ok`, () => ({ status: 200, headers: { 'x-receiver': 'secret' }, body: 'receipt #1' }));
    t.receiver.on(`/${tenantId}/failing`, () => ({ status: 500, body: 'stack trace' }));
    await t.api.subscribe({ webhookUri: t.receiver.url(`/${tenantId}/ok`), webhooks: ['order.created'] }, tenantId);
    await t.api.subscribe({ webhookUri: t.receiver.url(`/${tenantId}/failing`), webhooks: ['order.created'] }, tenantId);
    const id = await t.api.publish(
      { webhookName: 'order.created', data: { card: '4242' }, headers: { 'X-Private': 'p' } },
      tenantId,
    );
    const other = await t.api.publish({ webhookName: 'order.created', data: { keep: true } }, tenantId);
    await waitUntil(
      async () =>
        (await t.env.query(`SELECT 1 FROM webhook_send_attempts WHERE webhook_event_id = ANY($1::uuid[])`, [[id, other]]))
          .length === 4,
    );

    assert.equal((await t.api.post(`/api/webhooks/events/${id}/expunge`, {}, unique('stranger'))).status, 404);
    assert.equal((await t.api.post(`/api/webhooks/events/${id}/expunge`, {})).status, 404, 'the host is another tenant');
    const expunged = await t.api.post(`/api/webhooks/events/${id}/expunge`, {}, tenantId);
    assert.equal(expunged.status, 200, JSON.stringify(expunged.body));
    assert.equal(expunged.body.expungedAttempts, 2);
    assert.equal(expunged.body.abandonedDeliveries, 1, "the failing receiver's delivery was waiting for a retry");

    const event = (await t.api.get(`/api/webhooks/events/${id}`, tenantId)).body;
    assert.equal(event.data, null);
    assert.equal(event.headers, null);
    assert.equal(event.webhookName, 'order.created');
    assert.ok(event.expungedAt);
    assert.deepEqual(event.deliveries.map((d: { state: string }) => d.state).sort(), ['abandoned', 'succeeded']);
    const attempts = await t.env.query<Record<string, unknown>>(
      `SELECT id, webhook_event_id, response, request_headers, response_headers, response_status_code
       FROM webhook_send_attempts WHERE webhook_event_id = ANY($1::uuid[])`,
      [[id, other]],
    );
    for (const a of attempts.filter((a) => a.webhook_event_id === id)) {
      assert.deepEqual([a.response, a.request_headers, a.response_headers], [null, {}, null]);
      assert.ok(a.response_status_code, 'the metadata stays');
    }
    const untouched = attempts.filter((a) => a.webhook_event_id === other);
    assert.ok(untouched.every((a) => a.response !== null && Object.keys(a.request_headers as object).length > 0));
    const resent = await t.api.post(
      '/api/webhooks/send-attempts/resend-many',
      { ids: attempts.filter((a) => a.webhook_event_id === id).map((a) => a.id) },
      tenantId,
    );
    assert.deepEqual(resent.body, { queuedCount: 0 }, 'an expunged event is never sent again');
    const [otherEvent] = await t.env.query(`SELECT data, expunged_at FROM webhook_events WHERE id = $1`, [other]);
    assert.deepEqual(otherEvent, { data: '{"keep":true}', expunged_at: null });
  });

  it('deleting a subscription keeps its deliveries and attempts, listed by its id, and abandons what is pending', async () => {
    const tenantId = unique('deleting');
    t.receiver.on(`/${tenantId}`, () => ({ status: 503 }));
    const { id: subscriptionId } = await t.api.subscribe(
      { webhookUri: t.receiver.url(`/${tenantId}`), webhooks: ['order.created'] },
      tenantId,
    );
    const eventId = await t.api.publish({ webhookName: 'order.created', data: { n: 1 } }, tenantId);
    const listed = async () =>
      (await t.api.get(`/api/webhooks/send-attempts?subscriptionId=${subscriptionId}`, tenantId)).body.items as {
        webhookEventId: string;
      }[];
    await waitUntil(async () => (await listed()).length === 1, { message: () => 'the first attempt was not recorded' });
    const [pending] = (await t.api.get(`/api/webhooks/events/${eventId}`, tenantId)).body.deliveries;
    assert.equal(pending.state, 'pending', 'waiting for its retry');

    assert.equal((await t.api.delete(`/api/webhooks/subscriptions/${subscriptionId}`, tenantId)).status, 204);
    assert.equal((await t.api.get(`/api/webhooks/subscriptions/${subscriptionId}`, tenantId)).status, 404);
    assert.deepEqual(
      (await listed()).map((a) => a.webhookEventId),
      [eventId],
      'its attempts are still listed by its id',
    );
    const event = (await t.api.get(`/api/webhooks/events/${eventId}`, tenantId)).body;
    assert.deepEqual(
      event.deliveries.map((d: { subscriptionId: string; state: string }) => [d.subscriptionId, d.state]),
      [[subscriptionId, 'abandoned']],
    );
  });
});
