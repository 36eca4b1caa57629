import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { DataSource } from 'typeorm';
import {
  WEBHOOKS_MIGRATIONS,
  WebhookHistoryAppService,
  ensureDatabaseExists,
  webhooksDataSourceOptions,
} from '@hookline/webhooks-management';
import { WebhookDeliveryStore, WebhookSendAttemptStore } from '@hookline/webhooks';
import { timeOfTimeOrderedId, timeOrderedId } from '@hookline/webhooks-core';
import { TypeOrmWebhookHistoryPartitionStore } from '../libs/webhooks-management/src/typeorm/stores/typeorm-webhook-history-partition.store';
import {
  createHistoryPartitions,
  dayPartitionSuffix,
  startOfUtcDay,
} from '../libs/webhooks-management/src/typeorm/history-partitions';
import { ScratchEnvironment, hooklineFixture, startHookline } from './support/hookline';
import { scrapeMetrics } from './support/metrics';
import { TestReceiver } from './support/receiver';
import { waitUntil } from './support/wait';

const DAY_MS = 86_400_000;
const HISTORY_TABLES = ['webhook_events', 'webhook_deliveries', 'webhook_send_attempts'];
/** The advisory lock a retention pass holds (typeorm-webhook-history-partition.store.ts). */
const RETENTION_LOCK_KEY = 727_210_017;

const daySuffix = (offsetDays: number, from = new Date()) =>
  dayPartitionSuffix(new Date(startOfUtcDay(from).getTime() + offsetDays * DAY_MS));

async function partitionsOf(env: ScratchEnvironment, table: string): Promise<string[]> {
  const rows = await env.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = $1::regclass ORDER BY 1`,
    [table],
  );
  return rows.map((r) => r.name);
}

/** The history partitions a plan reads by a scan of the whole partition. */
function seqScannedPartitions(plan: any, into: string[] = []): string[] {
  const relation: string | undefined = plan['Relation Name'];
  if (plan['Node Type'] === 'Seq Scan' && HISTORY_TABLES.some((h) => relation?.startsWith(`${h}_`))) into.push(relation!);
  for (const child of plan.Plans ?? []) seqScannedPartitions(child, into);
  return into;
}

/** The tables a plan reads (those a run skipped left out when it was run: EXPLAIN ANALYZE). */
function scannedRelations(plan: any, analyzed: boolean, into: string[] = []): string[] {
  if (plan['Relation Name'] && plan['Node Type'] !== 'ModifyTable' && (!analyzed || plan['Actual Loops'] > 0)) {
    into.push(plan['Relation Name']);
  }
  for (const child of plan.Plans ?? []) scannedRelations(child, analyzed, into);
  return into;
}

/**
 * How many rows of `table`'s partitions a plan (EXPLAIN ANALYZE) read from the table: those a scan fetched (a
 * filter's rejects too), and those an index-only scan had to look up in the table.
 */
function tableRowsRead(plan: any, table: string): number {
  let read = 0;
  if (plan['Relation Name']?.startsWith(`${table}_`)) {
    read +=
      plan['Node Type'] === 'Index Only Scan'
        ? plan['Heap Fetches']
        : (plan['Actual Rows'] + (plan['Rows Removed by Filter'] ?? 0) + (plan['Rows Removed by Index Recheck'] ?? 0)) *
          plan['Actual Loops'];
  }
  for (const child of plan.Plans ?? []) read += tableRowsRead(child, table);
  return read;
}

interface Statement {
  text: string;
  values: unknown[];
}

/** The statements the process sent to PostgreSQL while `run` ran (the tests' app runs in this process). */
async function capturingStatements(run: () => Promise<void>): Promise<Statement[]> {
  const captured: Statement[] = [];
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, config: any, values?: any, callback?: any) {
    if (typeof config === 'string') captured.push({ text: config, values });
    else if (config?.text) captured.push({ text: config.text, values: config.values ?? values });
    return (query as any).call(this, config, values, callback);
  } as typeof query;
  try {
    await run();
  } finally {
    pg.Client.prototype.query = query;
  }
  return captured;
}

/**
 * Each statement matching an entry of `statements` ([matches, the partition suffixes it may read]) is seen, and
 * its plan reads those partitions only (and at least one, when `readsSome` says so).
 */
async function assertPartitionsRead(
  env: ScratchEnvironment,
  captured: Statement[],
  statements: Record<string, [(sql: string) => boolean, string[]]>,
  readsSome: (what: string) => boolean,
): Promise<void> {
  const client = await env.db();
  for (const [what, [matches, allowed]] of Object.entries(statements)) {
    const found = captured.filter((c) => matches(c.text));
    assert.ok(found.length > 0, `${what}: statement not seen`);
    for (const { text, values } of found) {
      const analyzed = !/\b(INSERT|UPDATE|DELETE)\b/.test(text);
      await client.query('BEGIN');
      try {
        const { rows } = await client.query(`EXPLAIN (${analyzed ? 'ANALYZE, ' : ''}FORMAT JSON) ${text}`, values);
        const scanned = scannedRelations(rows[0]['QUERY PLAN'][0].Plan, analyzed);
        const partitions = scanned.filter((r) => HISTORY_TABLES.some((h) => r.startsWith(`${h}_`)));
        const outside = partitions.filter((r) => !allowed.some((suffix) => r.endsWith(suffix)));
        assert.deepEqual(outside, [], `${what} reads other partitions: ${scanned.join(', ')}\n${text}`);
        if (readsSome(what)) assert.ok(partitions.length > 0, `${what} reads no partition: ${scanned.join(', ')}`);
      } finally {
        await client.query('ROLLBACK');
      }
    }
  }
}

/**
 * Gives each of the `days` days before today its own partitions, the legacy partitions ending before them: as a
 * deployment that has run that long has them. The legacy partitions must be empty.
 */
async function splitLegacyIntoDays(env: ScratchEnvironment, days: number): Promise<void> {
  const today = startOfUtcDay(new Date());
  const first = new Date(today.getTime() - days * DAY_MS);
  const q = { query: <T = any>(sql: string) => env.query(sql) as Promise<T> };
  for (const table of [...HISTORY_TABLES].reverse()) {
    await env.query(`ALTER TABLE ${table} DETACH PARTITION ${table}_legacy`);
    await env.query(`DROP TABLE ${table}_legacy`);
  }
  await createHistoryPartitions(q, '_legacy', null, first);
  for (let day = first; day < today; day = new Date(day.getTime() + DAY_MS)) {
    await createHistoryPartitions(q, dayPartitionSuffix(day), day, new Date(day.getTime() + DAY_MS));
  }
}

/** An event of `creationTime` with one delivery in `state` and one attempt (a response stored); by SQL. */
async function seed(env: ScratchEnvironment, creationTime: Date, state: 'pending' | 'succeeded'): Promise<string> {
  const [{ id }] = await env.query<{ id: string }>(
    `WITH e AS (
       INSERT INTO webhook_events (id, tenant_id, webhook_name, data, creation_time)
       VALUES (gen_random_uuid(), 'retained', 'order.created', '{}', $1) RETURNING id, creation_time
     ), d AS (
       INSERT INTO webhook_deliveries (id, webhook_event_id, webhook_subscription_id, tenant_id, state, attempt_count,
         next_attempt_at, creation_time, event_creation_time)
       SELECT gen_random_uuid(), e.id, gen_random_uuid(), 'retained', $2::varchar, 1,
         CASE WHEN $2::varchar = 'pending' THEN now() + interval '1 day' END, e.creation_time, e.creation_time FROM e
       RETURNING id, webhook_event_id, webhook_subscription_id, creation_time
     ), a AS (
       INSERT INTO webhook_send_attempts (id, delivery_id, webhook_event_id, webhook_subscription_id, tenant_id, attempt_number,
         succeeded, response_status_code, response, request_headers, response_headers, duration_ms, creation_time,
         event_creation_time)
       SELECT gen_random_uuid(), d.id, d.webhook_event_id, d.webhook_subscription_id, 'retained', 1, $2::varchar = 'succeeded',
         200, '{"received":true}', '{"user-agent":"hookline"}', '{"content-type":"application/json"}', 5, d.creation_time,
         d.creation_time FROM d
     )
     SELECT webhook_event_id AS id FROM d`,
    [creationTime, state],
  );
  return id;
}

describe('time-partitioned delivery history', () => {
  const t = hooklineFixture();

  it('creates the partitions of today and the next 7 days ahead, at start-up, with their foreign keys', async () => {
    for (const table of HISTORY_TABLES) {
      const partitions = await partitionsOf(t.env, table);
      for (let d = 0; d <= 7; d++) assert.ok(partitions.includes(`${table}${daySuffix(d)}`), `${table}${daySuffix(d)}`);
    }
    const [parent] = await t.env.query<{ relkind: string }>(`SELECT relkind FROM pg_class WHERE relname = 'webhook_deliveries'`);
    assert.equal(parent.relkind, 'p');
    const fks = await t.env.query<{ child: string; parent: string }>(
      `SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent FROM pg_constraint
       WHERE contype = 'f' AND conrelid::regclass::text LIKE '%${daySuffix(1)}'`,
    );
    assert.deepEqual(fks.map((f) => `${f.child} -> ${f.parent}`).sort(), [
      `webhook_deliveries${daySuffix(1)} -> webhook_events${daySuffix(1)}`,
      `webhook_send_attempts${daySuffix(1)} -> webhook_deliveries${daySuffix(1)}`,
    ]);
  });

  it('lets several processes create partitions together: each day is created once, by one of them', async () => {
    const sources = await Promise.all(
      [1, 2].map(() => new DataSource(webhooksDataSourceOptions({ url: t.env.databaseUrl(), poolSize: 2 })).initialize()),
    );
    try {
      const now = new Date();
      const until = new Date(now.getTime() + 40 * DAY_MS);
      const created = await Promise.all(
        sources.map((s) => new TypeOrmWebhookHistoryPartitionStore(s).createPartitionsUntil(now, until)),
      );
      const all = created.flat();
      assert.equal(new Set(all).size, all.length, 'a day created twice');
      assert.deepEqual(all.sort(), [...Array(33).keys()].map((d) => daySuffix(d + 8)).sort());
      for (const table of HISTORY_TABLES) assert.ok((await partitionsOf(t.env, table)).includes(`${table}${daySuffix(40)}`));
    } finally {
      await Promise.all(sources.map((s) => s.destroy()));
    }
  });

  it("reads only the partitions of the rows' day on the hot path: publish, send, record, and the lists by time", async () => {
    await t.api.subscribe({ webhookUri: t.receiver.url('/pruned'), webhooks: ['order.*'] }, 'pruning');
    let from: Date, to: Date;
    const captured = await capturingStatements(async () => {
      from = new Date();
      const eventId = await t.api.publish({ webhookName: 'order.created', data: { n: 1 } }, 'pruning');
      await t.env.deliveriesSettled();
      to = new Date();
      const events = await t.api.get(
        `/api/webhooks/events?creationTimeFrom=${from.toISOString()}&creationTimeTo=${to.toISOString()}`,
        'pruning',
      );
      assert.deepEqual(
        events.body.items.map((e: { id: string }) => e.id),
        [eventId],
      );
      const attempts = await t.api.get(`/api/webhooks/send-attempts?creationTimeTo=${new Date().toISOString()}`, 'pruning');
      assert.equal(attempts.body.totalCount, 1);
      // An attempt's id carries its event's creation time, as its event's and delivery's do.
      const [attempt] = attempts.body.items;
      assert.equal(timeOfTimeOrderedId(attempt.id)?.getTime(), timeOfTimeOrderedId(eventId)?.getTime());
      assert.equal((await t.api.get(`/api/webhooks/send-attempts/${attempt.id}`, 'pruning')).body.id, attempt.id);
      const ofEvent = await t.api.get(`/api/webhooks/send-attempts?webhookEventId=${eventId}`, 'pruning');
      assert.deepEqual(
        ofEvent.body.items.map((a: { id: string }) => a.id),
        [attempt.id],
      );
    });
    const days = [daySuffix(0, from!), daySuffix(0, to!)];
    // [matches the statement, the partitions it may read]. An attempt may belong to any earlier day's event: an
    // upper bound on its time leaves out the later days only.
    const statements: Record<string, [(sql: string) => boolean, string[]]> = {
      'publisher insert': [(s) => s.includes('INSERT INTO webhook_events'), days],
      'send context by delivery id': [(s) => s.includes('JOIN webhook_events e ON e.id = d.webhook_event_id'), days],
      'attempt insert and delivery update by id': [(s) => s.includes('INSERT INTO webhook_send_attempts'), days],
      'events by tenant and time': [(s) => s.includes('FROM webhook_events e WHERE') && s.includes('e.creation_time >='), days],
      'attempt by id': [(s) => s.includes('"webhook_send_attempts"') && s.includes('"id" = $1'), days],
      // The event's id carries its creation time, the attempts' partition key.
      'attempts by event': [(s) => s.includes('FROM webhook_send_attempts a WHERE') && s.includes('a.webhook_event_id = '), days],
      'attempts by tenant and time': [
        (s) => s.includes('FROM webhook_send_attempts a WHERE') && s.includes('a.event_creation_time <= '),
        [...days, '_legacy'],
      ],
    };
    await assertPartitionsRead(t.env, captured, statements, (what) => !what.startsWith('publisher'));
  });

  it("looks the sender's rows up by key in a day's partition not analyzed yet, rather than scanning the day", async () => {
    // A day's partition has no statistics until autovacuum gets to it: the sender's batched lookups must not
    // be planned as scans of the whole day then (such a scan compares every row of the day with every id).
    const now = new Date();
    const ids = Array.from({ length: 100 }, () => ({ event: timeOrderedId(now), delivery: timeOrderedId(now) }));
    const [subscription] = await t.env.query<{ id: string }>(
      `INSERT INTO webhook_subscriptions (id, tenant_id, webhook_uri, secret, webhooks, concurrency_stamp)
       VALUES (gen_random_uuid(), 'lookups', 'https://example.com/hook', 'whsec_lookups', ARRAY['order.*'], 'stamp') RETURNING id`,
    );
    await t.env.query(
      `WITH e AS (
         INSERT INTO webhook_events (id, tenant_id, webhook_name, data, creation_time)
         SELECT coalesce(k.id, gen_random_uuid()), 'lookups', 'order.created', '{}', $2
         FROM generate_series(1, 100000) i LEFT JOIN unnest($1::uuid[]) WITH ORDINALITY k(id, n) ON k.n = i
         RETURNING id, creation_time
       )
       INSERT INTO webhook_deliveries (id, webhook_event_id, webhook_subscription_id, tenant_id, state, attempt_count,
         next_attempt_at, creation_time, event_creation_time)
       SELECT coalesce(k.delivery, gen_random_uuid()), e.id, $4, 'lookups', 'succeeded', 0, NULL, e.creation_time, e.creation_time
       FROM e LEFT JOIN unnest($1::uuid[], $3::uuid[]) k(event, delivery) ON k.event = e.id`,
      [ids.map((i) => i.event), now, ids.map((i) => i.delivery), subscription.id],
    );
    const deliveries = t.hookline.app.get(WebhookDeliveryStore);
    const attempts = t.hookline.app.get(WebhookSendAttemptStore);
    const captured = await capturingStatements(async () => {
      const contexts = await Promise.all(ids.map((i) => deliveries.getSendContext(i.delivery)));
      assert.equal(contexts.filter((c) => c !== null).length, ids.length);
      await Promise.all(
        ids.map((i) =>
          attempts.record(
            {
              id: timeOrderedId(now),
              deliveryId: i.delivery,
              webhookEventId: i.event,
              webhookSubscriptionId: subscription.id,
              tenantId: 'lookups',
              attemptNumber: 1,
              succeeded: true,
              responseStatusCode: 200,
              response: null,
              requestHeaders: {},
              responseHeaders: null,
              durationMs: 1,
              error: null,
              creationTime: new Date(),
            },
            { state: 'succeeded', nextAttemptAt: null },
          ),
        ),
      );
    });
    const lookups = captured.filter((c) => /JOIN webhook_events e ON|INSERT INTO webhook_send_attempts/.test(c.text));
    assert.ok(
      lookups.some((c) => c.text.includes('INSERT INTO webhook_send_attempts')),
      'the attempts were recorded',
    );
    const client = await t.env.db();
    for (const { text, values } of lookups) {
      await client.query('BEGIN');
      try {
        const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
        const plan = rows[0]['QUERY PLAN'][0].Plan;
        assert.deepEqual(seqScannedPartitions(plan), [], `${text}\n${JSON.stringify(plan, null, 1)}`);
      } finally {
        await client.query('ROLLBACK');
      }
    }
  });

  it('reads only the days of the window for the stats of 24 hours, the tenants overview and diagnose', async () => {
    // A month's days before today, as a deployment that has run that long has them (a fresh database's legacy
    // partitions reach up to today).
    await splitLegacyIntoDays(t.env, 30);
    const old = new Date(Date.now() - 10 * DAY_MS);
    await seed(t.env, old, 'succeeded');
    const { id } = await t.api.subscribe({ webhookUri: t.receiver.url('/windowed'), webhooks: ['order.*'] }, 'retained');
    await t.api.publish({ webhookName: 'order.created', data: { n: 1 } }, 'retained');
    await t.env.deliveriesSettled();
    const since = new Date(Date.now() - 24 * 3600_000);
    const captured = await capturingStatements(async () => {
      const tenant = await t.api.get('/api/webhooks/stats?hours=24', 'retained');
      assert.deepEqual([tenant.status, tenant.body.events, tenant.body.deliveries, tenant.body.attempts], [200, 1, 1, 1]);
      const subscription = await t.api.get(`/api/webhooks/subscriptions/${id}/stats?hours=24`, 'retained');
      assert.deepEqual([subscription.body.events, subscription.body.attempts], [1, 1]);
      assert.equal((await t.api.get(`/api/webhooks/subscriptions/${id}/diagnose`, 'retained')).status, 200);
      assert.equal((await t.api.get(`/api/webhooks/subscriptions/${id}/timeline?hours=24`, 'retained')).status, 200);
      assert.equal((await t.api.get('/api/webhooks/tenants?hours=24')).status, 200);
    });
    // The window's first day, today, and the (empty) days ahead.
    const windowDays = [startOfUtcDay(since), ...Array.from({ length: 41 }, (_, d) => new Date(Date.now() + d * DAY_MS))].map(
      (day) => dayPartitionSuffix(startOfUtcDay(day)),
    );
    const windowed = (s: string) =>
      /FROM webhook_(events|deliveries|send_attempts) WHERE/.test(s) && s.includes('creation_time >= $1');
    await assertPartitionsRead(t.env, captured, { 'stats, timeline and tenants': [windowed, windowDays] }, () => true);
    assert.ok(captured.filter((c) => windowed(c.text)).length >= 5, 'stats, diagnose, timeline and tenants statements seen');
  });
  it("finds diagnose's last failed attempt, an old event's late retry included, reading the recent days first", async () => {
    await splitLegacyIntoDays(t.env, 30);
    const { id } = await t.api.subscribe({ webhookUri: t.receiver.url('/last-failure'), webhooks: ['order.*'] }, 'lastfail');
    const now = Date.now();
    const HOUR_MS = 3600_000;
    /** An event `eventAgo` ms ago, its delivery, and one attempt made `attemptAgo` ms ago answering `status`. */
    const attempt = (eventAgo: number, attemptAgo: number, status: number) =>
      t.env.query(
        `WITH e AS (
           INSERT INTO webhook_events (id, tenant_id, webhook_name, data, creation_time)
           VALUES (gen_random_uuid(), 'lastfail', 'order.created', '{}', $1) RETURNING id, creation_time
         ), d AS (
           INSERT INTO webhook_deliveries (id, webhook_event_id, webhook_subscription_id, tenant_id, state, attempt_count,
             creation_time, event_creation_time)
           SELECT gen_random_uuid(), e.id, $3, 'lastfail', 'failed', 1, e.creation_time, e.creation_time FROM e
           RETURNING id, webhook_event_id, event_creation_time
         )
         INSERT INTO webhook_send_attempts (id, delivery_id, webhook_event_id, webhook_subscription_id, tenant_id,
           attempt_number, succeeded, response_status_code, request_headers, duration_ms, creation_time, event_creation_time)
         SELECT gen_random_uuid(), d.id, d.webhook_event_id, $3, 'lastfail', 1, $4 < 300, $4, '{}', 5, $2, d.event_creation_time
         FROM d`,
        [new Date(now - eventAgo), new Date(now - attemptAgo), id, status],
      );
    const lastFailure = async () => {
      const { status, body } = await t.api.get(`/api/webhooks/subscriptions/${id}/diagnose`, 'lastfail');
      assert.equal(status, 200, JSON.stringify(body));
      return body.lastFailedAttempt?.responseStatusCode ?? null;
    };
    assert.equal(await lastFailure(), null);
    await attempt(20 * DAY_MS, 20 * DAY_MS, 500);
    assert.equal(await lastFailure(), 500, 'a failure of an old event only');
    await attempt(HOUR_MS, HOUR_MS - 1000, 502);
    assert.equal(await lastFailure(), 502, 'a recent failure is newer');
    // A retry (or a resend) of an old event failed after the recent event's attempt.
    await attempt(10 * DAY_MS, HOUR_MS / 2, 503);
    await attempt(2 * HOUR_MS, HOUR_MS / 4, 200);
    assert.equal(await lastFailure(), 503, "an old event's later failure");
  });
});

describe("time-partitioned delivery history: a subscription's attempts", () => {
  const t = hooklineFixture();

  it("reads from the table only the page of a subscription's attempts, however many it has", async () => {
    await splitLegacyIntoDays(t.env, 4);
    // Four days of 4,000 attempts, of 10 tenants' 50 subscriptions: the listed one has about 80 attempts a day.
    await t.env.query(
      `WITH e AS (
         INSERT INTO webhook_events (id, tenant_id, webhook_name, data, creation_time)
         SELECT gen_random_uuid(), 'paged' || (i % 10), 'order.created', '{}',
                date_trunc('day', now()) - (i / 10 % 4) * interval '1 day' + (i % 3600) * interval '1 second'
         FROM generate_series(0, 15999) i RETURNING id, tenant_id, creation_time
       ), d AS (
         INSERT INTO webhook_deliveries (id, webhook_event_id, webhook_subscription_id, tenant_id, state, attempt_count,
           creation_time, event_creation_time)
         SELECT gen_random_uuid(), e.id, md5(e.tenant_id || '/' || floor(random() * 5))::uuid, e.tenant_id, 'succeeded', 1,
                e.creation_time, e.creation_time
         FROM e RETURNING id, webhook_event_id, webhook_subscription_id, tenant_id, event_creation_time
       )
       INSERT INTO webhook_send_attempts (id, delivery_id, webhook_event_id, webhook_subscription_id, tenant_id, attempt_number,
         succeeded, response_status_code, request_headers, duration_ms, creation_time, event_creation_time)
       SELECT gen_random_uuid(), d.id, d.webhook_event_id, d.webhook_subscription_id, d.tenant_id, 1, true, 200, '{}', 5,
              d.event_creation_time + interval '1 second', d.event_creation_time
       FROM d`,
    );
    await t.env.query('VACUUM ANALYZE webhook_send_attempts');
    const [{ subscription }] = await t.env.query<{ subscription: string }>(`SELECT md5('paged3/1')::uuid::text AS subscription`);
    const expected = await t.env.query<{ id: string }>(
      `SELECT id FROM webhook_send_attempts WHERE webhook_subscription_id = $1 ORDER BY creation_time DESC, id DESC`,
      [subscription],
    );
    assert.ok(expected.length > 200, `${expected.length} attempts`);
    const captured = await capturingStatements(async () => {
      const { status, body } = await t.api.get(
        `/api/webhooks/send-attempts?subscriptionId=${subscription}&skipCount=100&maxResultCount=10`,
        'paged3',
      );
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.totalCount, expected.length);
      assert.deepEqual(
        body.items.map((a: { id: string }) => a.id),
        expected.slice(100, 110).map((a) => a.id),
      );
    });
    const pages = captured.filter((c) => /FROM "?webhook_send_attempts"? /.test(c.text) && /\bLIMIT\b/.test(c.text));
    assert.equal(pages.length, 1, captured.map((c) => c.text).join('\n'));
    const client = await t.env.db();
    const { rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${pages[0].text}`, pages[0].values);
    const plan = rows[0]['QUERY PLAN'][0].Plan;
    assert.equal(tableRowsRead(plan, 'webhook_send_attempts'), 10, JSON.stringify(plan, null, 1));
  });
});

describe('time-partitioned delivery history: migrating a database in place', () => {
  it('keeps every row, its keys and its foreign keys, and sends a delivery left pending', async () => {
    const env = new ScratchEnvironment();
    const receiver = await TestReceiver.start();
    const options = webhooksDataSourceOptions({ url: env.databaseUrl(), poolSize: 2 });
    await ensureDatabaseExists(env.databaseUrl());
    const partitioning = WEBHOOKS_MIGRATIONS.findIndex((m) => m.name === 'TimePartitionedHistory1765710000000');
    const before = await new DataSource({ ...options, migrations: WEBHOOKS_MIGRATIONS.slice(0, partitioning) }).initialize();
    try {
      await before.runMigrations();
      // The previous schema's shape: random ids, no event_creation_time, one table each.
      await before.query(
        `INSERT INTO webhook_subscriptions (id, tenant_id, webhook_uri, secret, webhooks, concurrency_stamp)
         VALUES ('00000000-0000-4000-8000-000000000001', 'legacy', $1, 'whsec_legacy', ARRAY['order.*'], 'stamp')`,
        [receiver.url('/legacy')],
      );
      await before.query(`
        WITH e AS (
          INSERT INTO webhook_events (id, tenant_id, webhook_name, data, creation_time)
          SELECT gen_random_uuid(), 'legacy', 'order.created', json_build_object('n', i)::text, now() - i * interval '1 minute'
          FROM generate_series(1, 3000) i RETURNING id, creation_time
        ), d AS (
          INSERT INTO webhook_deliveries (id, webhook_event_id, webhook_subscription_id, tenant_id, state, attempt_count, creation_time)
          SELECT gen_random_uuid(), e.id, '00000000-0000-4000-8000-000000000001', 'legacy', 'succeeded', 1, e.creation_time FROM e
          RETURNING id, webhook_event_id, creation_time
        )
        INSERT INTO webhook_send_attempts (id, delivery_id, webhook_event_id, webhook_subscription_id, tenant_id, attempt_number,
          succeeded, response_status_code, request_headers, duration_ms, creation_time)
        SELECT gen_random_uuid(), d.id, d.webhook_event_id, '00000000-0000-4000-8000-000000000001', 'legacy', 1, true, 200, '{}', 5,
          d.creation_time + interval '1 second'
        FROM d`);
      await before.query(`
        WITH e AS (
          INSERT INTO webhook_events (id, tenant_id, webhook_name, data, creation_time)
          VALUES ('00000000-0000-4000-8000-00000000000e', 'legacy', 'order.created', '{"pending":true}', now() - interval '2 days')
          RETURNING id, creation_time
        )
        INSERT INTO webhook_deliveries (id, webhook_event_id, webhook_subscription_id, tenant_id, state, attempt_count,
          next_attempt_at, creation_time)
        SELECT '00000000-0000-4000-8000-00000000000d', e.id, '00000000-0000-4000-8000-000000000001', 'legacy', 'pending', 0,
          now() - interval '1 minute', e.creation_time FROM e`);
    } finally {
      await before.destroy();
    }
    const digest = async (client: { query(sql: string): Promise<any> }) => {
      const digests: Record<string, string> = {};
      for (const table of HISTORY_TABLES) {
        const result = await client.query(
          `SELECT count(*) || ':' || md5(string_agg((to_jsonb(t) - 'event_creation_time')::text, ',' ORDER BY t.id)) AS digest
           FROM ${table} t`,
        );
        digests[table] = (result.rows ?? result)[0].digest;
      }
      return digests;
    };
    const client = await env.db();
    const rowsBefore = await digest(client);
    const migrated = await new DataSource(options).initialize();
    try {
      assert.deepEqual(
        // As the service runs them: each in its own transaction, or none for one that builds indexes concurrently.
        (await migrated.runMigrations({ transaction: 'each' })).map((m) => m.name),
        WEBHOOKS_MIGRATIONS.slice(partitioning).map((m) => m.name),
      );
    } finally {
      await migrated.destroy();
    }
    assert.deepEqual(await digest(client), rowsBefore);

    for (const table of HISTORY_TABLES) {
      const [legacy] = await env.query<{ n: string }>(`SELECT count(*) AS n FROM ONLY ${table}_legacy`);
      assert.equal(rowsBefore[table].startsWith(`${legacy.n}:`), true, `${table}: every row in its legacy partition`);
    }

    const hookline = await startHookline(env, { WEBHOOKS_SWEEP_INTERVAL_MS: '200', WEBHOOKS_SWEEP_GRACE_MS: '0' });
    try {
      const duplicate = client.query(
        `INSERT INTO webhook_events (id, tenant_id, webhook_name, data, creation_time)
         SELECT id, tenant_id, webhook_name, data, creation_time FROM webhook_events LIMIT 1`,
      );
      await assert.rejects(duplicate, { code: '23505' });
      const orphan = client.query(
        `INSERT INTO webhook_deliveries (id, webhook_event_id, webhook_subscription_id, tenant_id, state, attempt_count,
           creation_time, event_creation_time)
         VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'legacy', 'succeeded', 1, now() - interval '1 day',
           now() - interval '1 day')`,
      );
      await assert.rejects(orphan, { code: '23503' });
      const [{ n: orphanAttempts }] = await env.query<{ n: string }>(
        `SELECT count(*) AS n FROM webhook_send_attempts a
         WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.id = a.delivery_id AND d.event_creation_time = a.event_creation_time)`,
      );
      assert.equal(orphanAttempts, '0');

      // The delivery left pending by the previous version is sent (looked up by its random id), and recorded.
      await waitUntil(() => receiver.requests('/legacy').length > 0, { timeoutMs: 15_000 });
      await env.deliveriesSettled();
      const [delivery] = await env.query<{ state: string; attempts: string }>(
        `SELECT d.state, (SELECT count(*) FROM webhook_send_attempts a WHERE a.delivery_id = d.id) AS attempts
         FROM webhook_deliveries d WHERE d.id = '00000000-0000-4000-8000-00000000000d'`,
      );
      assert.deepEqual(delivery, { state: 'succeeded', attempts: '1' });
      // An attempt from before partitioning, its id random, is found by it.
      const [legacyAttempt] = await env.query<{ id: string }>(
        `SELECT id FROM webhook_send_attempts_legacy WHERE tenant_id = 'legacy' LIMIT 1`,
      );
      const found = await hookline.api.get(`/api/webhooks/send-attempts/${legacyAttempt.id}`, 'legacy');
      assert.deepEqual([found.status, found.body.id], [200, legacyAttempt.id]);
    } finally {
      await hookline.close();
      await receiver.close();
      await env.drop();
    }
  });
});

describe('time-partitioned delivery history: retention', () => {
  const t = hooklineFixture({ WEBHOOKS_RETENTION_DAYS: '30' });

  it('drops whole expired days, keeps a day with a pending delivery, one pass at a time, and counts each pass', async () => {
    const history = t.hookline.app.get(WebhookHistoryAppService);
    const now = new Date();
    const today = startOfUtcDay(now);
    const legacyEvent = await seed(t.env, new Date(today.getTime() - 2 * DAY_MS), 'succeeded');
    const pendingEvent = await seed(t.env, now, 'pending');
    const settledToday = await seed(t.env, now, 'succeeded');
    const tomorrowEvent = await seed(t.env, new Date(today.getTime() + DAY_MS + 60_000), 'succeeded');
    const metricsBefore = await scrapeMetrics(t.api.baseUrl);
    const counter = 'hookline_history_retention_partitions_total';

    // Another process is running a pass: this one does nothing.
    const locker = await t.env.db();
    await locker.query('SELECT pg_advisory_lock($1)', [RETENTION_LOCK_KEY]);
    try {
      await history.retentionPass(new Date(now.getTime() + 33 * DAY_MS));
    } finally {
      await locker.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
    }
    assert.equal((await t.env.query(`SELECT 1 FROM webhook_events WHERE id = $1`, [legacyEvent])).length, 1);

    // As if 33 days had passed: the legacy partitions and the days up to the day after tomorrow have expired.
    await history.retentionPass(new Date(now.getTime() + 33 * DAY_MS));
    for (const table of HISTORY_TABLES) {
      const partitions = await partitionsOf(t.env, table);
      assert.ok(!partitions.includes(`${table}_legacy`), `${table}_legacy dropped`);
      assert.ok(!partitions.includes(`${table}${daySuffix(1)}`), `${table}${daySuffix(1)} dropped`);
      assert.ok(!partitions.includes(`${table}${daySuffix(2)}`), `${table}${daySuffix(2)} dropped`);
      assert.ok(partitions.includes(`${table}${daySuffix(0)}`), `${table}${daySuffix(0)} kept: it holds a pending delivery`);
      assert.ok(partitions.includes(`${table}${daySuffix(3)}`), `${table}${daySuffix(3)} not expired`);
    }
    const events = await t.env.query<{ id: string }>(`SELECT id FROM webhook_events WHERE tenant_id = 'retained'`);
    assert.deepEqual(events.map((e) => e.id).sort(), [pendingEvent, settledToday].sort());
    assert.ok(!events.some((e) => e.id === legacyEvent || e.id === tomorrowEvent));
    const [kept] = await t.env.query<{ deliveries: string; attempts: string }>(
      `SELECT (SELECT count(*) FROM webhook_deliveries WHERE tenant_id = 'retained') AS deliveries,
              (SELECT count(*) FROM webhook_send_attempts WHERE tenant_id = 'retained') AS attempts`,
    );
    assert.deepEqual(kept, { deliveries: '2', attempts: '2' });

    const metrics = await scrapeMetrics(t.api.baseUrl);
    const delta = (name: string, labels: Record<string, string>) =>
      metrics.value(name, labels) - metricsBefore.value(name, labels);
    assert.equal(delta('hookline_history_retention_passes_total', { outcome: 'skipped' }), 1);
    assert.equal(delta('hookline_history_retention_passes_total', { outcome: 'completed' }), 1);
    assert.equal(delta(counter, { outcome: 'dropped' }), 3);
    assert.equal(delta(counter, { outcome: 'kept_pending' }), 1);

    // Once its delivery settles, the day goes on the next pass; the days dropped ahead are made again.
    await t.env.query(`UPDATE webhook_deliveries SET state = 'abandoned', next_attempt_at = NULL WHERE tenant_id = 'retained'`);
    await history.retentionPass(new Date(now.getTime() + 33 * DAY_MS));
    assert.ok(!(await partitionsOf(t.env, 'webhook_events')).includes(`webhook_events${daySuffix(0)}`));
    await history.createPartitionsAhead(now);
    assert.ok((await partitionsOf(t.env, 'webhook_events')).includes(`webhook_events${daySuffix(1)}`));
  });
});

describe('time-partitioned delivery history: a shorter retention for response bodies and headers', () => {
  const t = hooklineFixture({ WEBHOOKS_RETENTION_DAYS: '30', WEBHOOKS_RESPONSE_RETENTION_DAYS: '2' });

  it("erases the attempts' response bodies and headers of the days past it, once, and keeps everything else", async () => {
    const history = t.hookline.app.get(WebhookHistoryAppService);
    const now = new Date();
    const today = await seed(t.env, now, 'succeeded');
    const tomorrow = await seed(t.env, new Date(startOfUtcDay(now).getTime() + DAY_MS + 60_000), 'succeeded');
    const attemptsOf = (eventId: string) =>
      t.env.query(`SELECT response, request_headers, response_headers FROM webhook_send_attempts WHERE webhook_event_id = $1`, [
        eventId,
      ]);
    const metricsBefore = await scrapeMetrics(t.api.baseUrl);
    const erasedDays = async () =>
      (await scrapeMetrics(t.api.baseUrl)).value('hookline_history_retention_partitions_total', { outcome: 'responses_erased' }) -
      metricsBefore.value('hookline_history_retention_partitions_total', { outcome: 'responses_erased' });

    // As if 3 days had passed: today's day (and the legacy range) ended more than 2 days ago, tomorrow's not.
    await history.retentionPass(new Date(now.getTime() + 3 * DAY_MS));
    assert.deepEqual(await attemptsOf(today), [
      { response: null, request_headers: { 'user-agent': 'hookline' }, response_headers: null },
    ]);
    assert.deepEqual(await attemptsOf(tomorrow), [
      {
        response: '{"received":true}',
        request_headers: { 'user-agent': 'hookline' },
        response_headers: { 'content-type': 'application/json' },
      },
    ]);
    assert.equal((await t.env.query(`SELECT 1 FROM webhook_events WHERE id = ANY($1)`, [[today, tomorrow]])).length, 2);
    assert.equal(await erasedDays(), 2);

    // A day is rewritten once: the next pass leaves it alone.
    await history.retentionPass(new Date(now.getTime() + 3 * DAY_MS));
    assert.equal(await erasedDays(), 2);
  });
});
