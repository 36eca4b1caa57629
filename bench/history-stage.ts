import {
  BENCH_ADMIN_API_KEY,
  BenchContext,
  ORDER_DATA,
  StageEnvironment,
  percentile,
  round,
  signedEnvelope,
} from './bench-support';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { POSTGRES_URL } from '../test/support/hookline';
import { webhooksDataSourceOptions } from '@hookline/webhooks-management';
import {
  type Figures,
  type Stage,
  drainTimeoutMs,
  measureFirstAttemptLatency,
  measureThroughput,
  publishLatencies,
} from './stages';
import {
  LEGACY_SUFFIX,
  createHistoryPartitions,
  dayPartitionSuffix,
  listHistoryPartitions,
  startOfUtcDay,
} from '../libs/webhooks-management/src/typeorm/history-partitions';
import { TypeOrmWebhookHistoryPartitionStore } from '../libs/webhooks-management/src/typeorm/stores/typeorm-webhook-history-partition.store';

const DAYS = 30;
const DAY_MS = 86_400_000;
const SUBSCRIPTIONS_PER_TENANT = 3;
const WEBHOOK_NAMES = ['order.created', 'order.paid', 'customer.created'];

/** The full size (1,000 tenants, 30 days, a million events), and a hundredth of it for --quick. */
const SIZES = {
  full: {
    tenants: 1_000,
    events: 1_000_000,
    requestsPerQuery: 50,
    hotPathDeliveries: 20_000,
    dropRounds: 8,
    publishesPerRound: 200,
  },
  quick: { tenants: 100, events: 10_000, requestsPerQuery: 10, hotPathDeliveries: 500, dropRounds: 2, publishesPerRound: 40 },
};

/**
 * Admin queries over a month of history: seeds 30 days of events (three deliveries each, one to each of the
 * tenant's subscriptions, with one to six attempts) by SQL into that many day partitions, as a deployment that
 * has run for a month has them, then times the admin API through HTTP for tenants drawn at random: the lists
 * (events by time and by name, deep by skipCount and by cursor; attempts by subscription, by event and
 * filtered), the stats over 24 h and 720 h, and diagnose. Then the hot path on that database against an empty one
 * (the throughput and latency stages' measures, run on both), and publish latency while a retention pass drops a
 * day's partitions against without. With --history-drop-only, after seeding it measures only the publishes
 * while a day drops.
 */
export const historyStage: Stage = {
  name: 'history',
  async run(context: BenchContext, shared: Figures) {
    const size = context.quick ? SIZES.quick : SIZES.full;
    const kept = context.historyDatabase;
    if (kept) await dropStaleSeed(kept, size.tenants, size.events);
    const stage = new StageEnvironment(context, kept);
    const empty = new StageEnvironment(context);
    let emptyApiStarted: ReturnType<StageEnvironment['start']> | undefined;
    try {
      const api = await stage.start('api');
      const { baseUrl } = api;
      context.step('service started');
      if (!context.historyDropOnly) {
        // The empty database's api process starts while the history is seeded.
        emptyApiStarted = empty.start('api');
        emptyApiStarted.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
      }
      const counts = await seedHistory(stage, size.tenants, size.events);
      context.step('history seeded');
      if (context.historyDropOnly) {
        // The full run's hot-path measures leave a worker running on this database: start one the same.
        await stage.start('worker');
        return {
          ...counts,
          ...(await publishWhileDropping(context, stage, baseUrl, size.dropRounds, size.publishesPerRound)),
        };
      }
      const admin = new AdminApi(baseUrl);
      const tenant = (i: number) => tenantId(i % size.tenants);
      const pick = async (sql: string, t: string) => (await stage.env.query<{ id: string }>(sql, [t]))[0].id;
      const sevenDaysAgo = new Date(Date.now() - 7 * DAY_MS).toISOString();
      const eventsPerTenant = Math.floor(size.events / size.tenants);

      const timings: Record<string, number[]> = {};
      const time = async (name: string, path: string, t: string) => {
        (timings[name] ??= []).push(await admin.timedGet(path, t));
      };
      // A first round, not measured, on a tenant of its own: each of the api process's database connections
      // reads the catalog of every partition the first time it plans a statement over them.
      for (let r = -1; r < size.requestsPerQuery; r++) {
        if (r === 0) for (const name of Object.keys(timings)) delete timings[name];
        const t = r < 0 ? tenant(size.tenants - 1) : tenant(r * 7919);
        const subscription = await pick('SELECT id FROM webhook_subscriptions WHERE tenant_id = $1 ORDER BY id LIMIT 1', t);
        const event = await pick('SELECT id FROM webhook_events WHERE tenant_id = $1 ORDER BY creation_time DESC LIMIT 1', t);
        await time('events by time', `/api/webhooks/events?creationTimeFrom=${sevenDaysAgo}&maxResultCount=50`, t);
        await time('events by name', `/api/webhooks/events?webhookName=order.paid&maxResultCount=50`, t);
        await time(
          'events deep by skipCount',
          `/api/webhooks/events?skipCount=${Math.floor(eventsPerTenant * 0.9)}&maxResultCount=50`,
          t,
        );
        let cursor: string | null = null;
        for (let page = 0; page < 5; page++) {
          const started = performance.now();
          const body: { nextCursor: string | null } = await admin.get(
            `/api/webhooks/events?maxResultCount=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
            t,
          );
          if (page > 0) (timings['events next page by cursor'] ??= []).push(performance.now() - started);
          cursor = body.nextCursor;
          if (!cursor) break;
        }
        await time('attempts by subscription', `/api/webhooks/send-attempts?subscriptionId=${subscription}&maxResultCount=50`, t);
        await time('attempts by event', `/api/webhooks/send-attempts?webhookEventId=${event}`, t);
        await time(
          'attempts failed by subscription',
          `/api/webhooks/send-attempts?subscriptionId=${subscription}&state=failed&responseStatusCode=500&maxResultCount=50`,
          t,
        );
        await time('stats 24 h', '/api/webhooks/stats?hours=24', t);
        await time('stats 720 h', '/api/webhooks/stats?hours=720', t);
        await time('diagnose', `/api/webhooks/subscriptions/${subscription}/diagnose`, t);
      }
      context.step('queries timed');

      const figures: Figures = {
        tenants: size.tenants,
        days: DAYS,
        events: counts.events,
        deliveries: counts.deliveries,
        attempts: counts.attempts,
        'requests per query': size.requestsPerQuery,
      };
      let listsP99 = 0;
      for (const [name, ms] of Object.entries(timings)) {
        figures[`${name} p50 ms`] = round(percentile(ms, 0.5));
        figures[`${name} p99 ms`] = round(percentile(ms, 0.99));
        if (name.startsWith('events') || name.startsWith('attempts')) listsP99 = Math.max(listsP99, percentile(ms, 0.99));
      }
      figures['admin lists worst p99 ms'] = round(listsP99);
      if (context.historyQueriesOnly) return figures;

      // The hot path on the month of history and on an empty database, alternating (ABBA) so drift falls on both.
      const emptyApi = (await emptyApiStarted)!;
      const throughput = async (env: StageEnvironment, started: typeof api) =>
        Number((await measureThroughput(context, env, started, shared, 1, size.hotPathDeliveries, 'hp00000'))['deliveries/s']);
      const emptyRate = await throughput(empty, emptyApi);
      const fullRate = await throughput(stage, api);
      context.step('throughput measured');
      const latency = async (env: StageEnvironment, started: typeof api) => {
        await context.insertSubscriptions(env.env, 'hl', 0, 1, 1);
        await context.insertSubscriptions(env.env, 'hw', 0, 1, 1);
        return Number(
          (await measureFirstAttemptLatency(context, env, started.service, 'hl00000', 'hw00000'))['first attempt p99 ms'],
        );
      };
      const fullP99 = await latency(stage, api);
      const emptyP99 = await latency(empty, emptyApi);
      await empty.close();
      context.step('latency measured');
      Object.assign(figures, {
        'hot path deliveries/s, empty DB': Math.round(emptyRate),
        'hot path deliveries/s, full DB': Math.round(fullRate),
        'hot path deliveries/s full/empty %': round((100 * fullRate) / emptyRate),
        'first attempt p99 ms, empty DB': emptyP99,
        'first attempt p99 ms, full DB': fullP99,
        'first attempt p99 full/empty %': round((100 * fullP99) / emptyP99),
      });
      Object.assign(figures, await publishWhileDropping(context, stage, baseUrl, size.dropRounds, size.publishesPerRound));
      return figures;
    } finally {
      // Started or failed, the empty database's process is then stopped with its environment.
      await emptyApiStarted?.catch(() => undefined);
      await empty.close();
      await stage.close();
    }
  },
};

/**
 * Publish latency (sequential HTTP publishes, one subscription each, the worker running) in rounds of two halves:
 * one without, one while a retention pass (the service's store, from this process) drops the oldest day's
 * partitions, started a quarter of the way through the half; should the pass outlast the half, the half goes on
 * publishing until it ends, so that every publish it may delay is measured.
 */
async function publishWhileDropping(
  context: BenchContext,
  stage: StageEnvironment,
  baseUrl: string,
  rounds: number,
  publishes: number,
): Promise<Figures> {
  const dataSource = await new DataSource(webhooksDataSourceOptions({ url: stage.env.databaseUrl(), poolSize: 2 })).initialize();
  try {
    const store = new TypeOrmWebhookHistoryPartitionStore(dataSource);
    const dropOldest = async (withLegacy: boolean) => {
      const days = (await listHistoryPartitions(dataSource.manager)).filter((p) => withLegacy || p.suffix !== LEGACY_SUFFIX);
      const started = performance.now();
      const result = await store.applyRetention(days[0].until, null);
      const dropped = result?.expired.filter((e) => e.outcome === 'dropped').length ?? 0;
      if (dropped !== 1) throw new Error(`a retention pass dropped ${dropped} ranges, not one: ${JSON.stringify(result)}`);
      return performance.now() - started;
    };
    // The (empty) range before the month goes first, unmeasured: each measured pass drops one day of history.
    await dropOldest(true);
    await context.insertSubscriptions(stage.env, 'hd', 0, 1, 1);
    const tenants = ['hd00000'];
    await context.resetReceiver();
    await publishLatencies(baseUrl, tenants, publishes); // warm-up
    const without: number[] = [];
    const dropping: number[] = [];
    const passes: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const started = performance.now();
      without.push(...(await publishLatencies(baseUrl, tenants, publishes)));
      const quarter = (performance.now() - started) / 4;
      let passing = true;
      const pass = new Promise<number>((resolve, reject) =>
        setTimeout(
          () =>
            dropOldest(false)
              .then(resolve, reject)
              .finally(() => (passing = false)),
          quarter,
        ),
      );
      dropping.push(...(await publishLatencies(baseUrl, tenants, publishes)));
      while (passing) dropping.push(...(await publishLatencies(baseUrl, tenants, 1)));
      passes.push(await pass);
    }
    const published = publishes + without.length + dropping.length;
    await context.waitForDelivered(stage.env, published, drainTimeoutMs(published));
    return {
      'days dropped while publishing': rounds,
      'publishes while a day drops': dropping.length,
      'retention pass (one day) p50 ms': round(percentile(passes, 0.5)),
      'publish p50 ms, no drop': round(percentile(without, 0.5), 2),
      'publish p99 ms, no drop': round(percentile(without, 0.99), 2),
      'publish p50 ms, day dropping': round(percentile(dropping, 0.5), 2),
      'publish p99 ms, day dropping': round(percentile(dropping, 0.99), 2),
      'publish p99 dropping/no drop': round(percentile(dropping, 0.99) / percentile(without, 0.99), 2),
    };
  } finally {
    await dataSource.destroy();
  }
}

/**
 * pg_temp.uuid7(at): a UUIDv7 carrying `at` to the millisecond, as timeOrderedId makes them. A temporary function:
 * it lasts as long as the database connection that creates it.
 */
export const CREATE_UUID7_FUNCTION = `
  CREATE FUNCTION pg_temp.uuid7(at timestamptz) RETURNS uuid LANGUAGE sql VOLATILE AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
      PLACING substring(int8send(floor(extract(epoch FROM at) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
  $$`;

const tenantId = (i: number) => `h${String(i).padStart(5, '0')}`;

/** The admin API as an operator calls it: the host admin key, acting for one tenant. */
class AdminApi {
  constructor(private readonly baseUrl: string) {}

  async get<T>(path: string, tenant: string): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${BENCH_ADMIN_API_KEY}`, __tenant: tenant },
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  async timedGet(path: string, tenant: string): Promise<number> {
    const started = performance.now();
    await this.get(path, tenant);
    return performance.now() - started;
  }
}

/**
 * The seed's record in its own database: one row per day seeded, with the size and the day it was seeded on.
 * A kept database (--history-db) is seeded only for the days it lacks: those a run's retention passes dropped.
 */
const SEED_DAYS_TABLE = 'bench_history_seed_days';

/** The seed's tenants ('h00000'…); anything else in a kept database was written by an earlier run. */
const SEED_TENANT_PATTERN = '^h[0-9]{5}$';

/**
 * Drops the kept database when its seed is of another size, or was made on another UTC day (its month would
 * not end today): the stage then seeds it anew.
 */
async function dropStaleSeed(name: string, tenants: number, events: number): Promise<void> {
  const admin = new Client({ connectionString: `${POSTGRES_URL}/postgres` });
  await admin.connect();
  try {
    if (!(await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount) return;
    const db = new Client({ connectionString: `${POSTGRES_URL}/${name}` });
    await db.connect();
    let stale: boolean;
    try {
      const [{ seed }] = (await db.query<{ seed: string | null }>('SELECT to_regclass($1)::text AS seed', [SEED_DAYS_TABLE]))
        .rows;
      stale =
        seed === null ||
        Boolean(
          (
            await db.query(`SELECT 1 FROM ${SEED_DAYS_TABLE} WHERE tenants <> $1 OR events <> $2 OR today <> $3 LIMIT 1`, [
              tenants,
              events,
              startOfUtcDay(new Date()),
            ])
          ).rowCount,
        );
    } finally {
      await db.end();
    }
    if (stale) await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * In a kept database, the rows of the earlier runs' own tenants (hot path, drops), all written today: the
 * history is the seed's alone again.
 */
async function removeEarlierRuns(stage: StageEnvironment): Promise<void> {
  const today = startOfUtcDay(new Date());
  for (const [table, key] of [
    ['webhook_send_attempts', 'event_creation_time'],
    ['webhook_deliveries', 'event_creation_time'],
    ['webhook_events', 'creation_time'],
  ]) {
    await stage.env.query(`DELETE FROM ${table} WHERE ${key} >= $1 AND tenant_id !~ $2`, [today, SEED_TENANT_PATTERN]);
  }
  await stage.env.query(`DELETE FROM webhook_subscriptions WHERE tenant_id !~ $1`, [SEED_TENANT_PATTERN]);
}

/**
 * A month of history by SQL, one day at a time into that day's partitions: the newest day is today, so the last
 * 24 hours hold about a thirtieth of it. Ids (attempts' too) are UUIDv7 of the event's time, as the service makes them.
 * Days already seeded (a kept database) are left as they are.
 */
async function seedHistory(stage: StageEnvironment, tenants: number, events: number) {
  // The partition helpers take TypeORM's query signature (rows typed by the caller).
  const q = { query: <T = any>(sql: string, params?: unknown[]) => stage.env.query(sql, params) as Promise<T> };
  const today = startOfUtcDay(new Date());
  const first = new Date(today.getTime() - (DAYS - 1) * DAY_MS);
  await removeEarlierRuns(stage);
  await q.query(`
    CREATE TABLE IF NOT EXISTS ${SEED_DAYS_TABLE} (
      suffix varchar(32) PRIMARY KEY, tenants int NOT NULL, events int NOT NULL, today timestamptz NOT NULL)`);
  const partitions = await listHistoryPartitions(q);
  const present = new Set(partitions.map((p) => p.suffix));
  const seeded = new Set(
    (await q.query<{ suffix: string }[]>(`SELECT suffix FROM ${SEED_DAYS_TABLE}`))
      .map((r) => r.suffix)
      .filter((d) => present.has(d)),
  );
  await q.query(`DELETE FROM ${SEED_DAYS_TABLE} WHERE suffix <> ALL($1::varchar[])`, [[...seeded]]);
  // A fresh database's rows from before partitioning (none) cover every day before today: give the month its own days.
  const legacy = partitions.find((p) => p.suffix === LEGACY_SUFFIX);
  if (legacy && legacy.until.getTime() !== first.getTime()) {
    for (const table of ['webhook_send_attempts', 'webhook_deliveries', 'webhook_events']) {
      await q.query(`ALTER TABLE ${table} DETACH PARTITION ${table}_legacy`);
      await q.query(`DROP TABLE ${table}_legacy`);
    }
  }
  await createHistoryPartitions(q, '_legacy', null, first);
  await q.query(CREATE_UUID7_FUNCTION);
  const [{ subscriptions }] = await q.query<{ subscriptions: number }[]>(
    `SELECT count(*)::int AS subscriptions FROM webhook_subscriptions WHERE tenant_id ~ $1`,
    [SEED_TENANT_PATTERN],
  );
  if (subscriptions === 0) {
    await q.query(
      `INSERT INTO webhook_subscriptions (id, tenant_id, webhook_uri, secret, webhooks, is_active, concurrency_stamp)
       SELECT gen_random_uuid(), 'h' || lpad((g / $2)::text, 5, '0'), 'https://receiver.example.com/hooks/' || g,
              'whsec_' || md5(g::text), ARRAY['*'], true, md5(g::text)
       FROM generate_series(0, $1::int * $2 - 1) g`,
      [tenants, SUBSCRIPTIONS_PER_TENANT],
    );
  }
  const { headers } = signedEnvelope();
  const responseHeaders = { 'content-type': 'application/json', 'content-length': '17' };
  const perDay = Math.ceil(events / DAYS);
  let seededNow = subscriptions === 0;
  for (let d = 0; d < DAYS; d++) {
    const dayStart = new Date(first.getTime() + d * DAY_MS);
    const suffix = dayPartitionSuffix(dayStart);
    if (seeded.has(suffix)) continue;
    seededNow = true;
    await createHistoryPartitions(q, suffix, dayStart, new Date(dayStart.getTime() + DAY_MS));
    // Today's events lie in the hours already past, so "the last 24 hours" and "now" mean what they say.
    const span = d === DAYS - 1 ? Math.max(60_000, Date.now() - dayStart.getTime() - 60_000) : DAY_MS;
    // The day and its record together: an interrupted seed leaves no day half seeded or seeded twice.
    await q.query('BEGIN');
    await q.query(
      `WITH e AS (
         INSERT INTO webhook_events (id, tenant_id, webhook_name, data, creation_time)
         SELECT pg_temp.uuid7(at), tenant, ($5::text[])[1 + g % 3], $4, at
         FROM (SELECT g, 'h' || lpad((g % $2)::text, 5, '0') AS tenant,
                      $6::timestamptz + (random() * $7) * interval '1 ms' AS at
               FROM generate_series($1::int, $1::int + $3::int - 1) g) x
         RETURNING id, tenant_id, creation_time
       ), d AS (
         INSERT INTO webhook_deliveries (id, webhook_event_id, webhook_subscription_id, tenant_id, state, attempt_count,
           last_attempt_at, creation_time, event_creation_time)
         SELECT pg_temp.uuid7(x.creation_time), x.event_id, x.subscription_id, x.tenant_id, x.state, x.attempts,
                x.creation_time + x.attempts * interval '1 s', x.creation_time, x.creation_time
         FROM (SELECT e.id AS event_id, s.id AS subscription_id, e.tenant_id, e.creation_time,
                      1 + floor(random() * 6)::int AS attempts,
                      CASE WHEN random() < 0.05 THEN 'failed' ELSE 'succeeded' END AS state
               FROM e JOIN webhook_subscriptions s ON s.tenant_id = e.tenant_id) x
         RETURNING id, webhook_event_id, webhook_subscription_id, tenant_id, state, attempt_count, creation_time
       )
       INSERT INTO webhook_send_attempts (id, delivery_id, webhook_event_id, webhook_subscription_id, tenant_id,
         attempt_number, succeeded, response_status_code, response, request_headers, response_headers, duration_ms,
         creation_time, event_creation_time)
       SELECT pg_temp.uuid7(d.creation_time), d.id, d.webhook_event_id, d.webhook_subscription_id, d.tenant_id, a,
              ok, CASE WHEN ok THEN 200 ELSE 500 END, CASE WHEN ok THEN '{"received":true}' ELSE 'upstream error' END,
              $8, $9, 40, d.creation_time + a * interval '1 s', d.creation_time
       FROM d CROSS JOIN LATERAL generate_series(1, d.attempt_count) a
       CROSS JOIN LATERAL (SELECT d.state = 'succeeded' AND a = d.attempt_count AS ok) r`,
      [
        d * perDay,
        tenants,
        perDay,
        JSON.stringify(ORDER_DATA),
        WEBHOOK_NAMES,
        dayStart.toISOString(),
        span,
        headers,
        responseHeaders,
      ],
    );
    await q.query(`INSERT INTO ${SEED_DAYS_TABLE} (suffix, tenants, events, today) VALUES ($1, $2, $3, $4)`, [
      suffix,
      tenants,
      events,
      today,
    ]);
    await q.query('COMMIT');
  }
  if (seededNow) {
    for (const table of ['webhook_subscriptions', 'webhook_events', 'webhook_deliveries', 'webhook_send_attempts']) {
      await q.query(`VACUUM ANALYZE ${table}`);
    }
  }
  const [row] = await stage.env.query<{ events: string; deliveries: string; attempts: string }>(`
    SELECT (SELECT count(*) FROM webhook_events) AS events, (SELECT count(*) FROM webhook_deliveries) AS deliveries,
           (SELECT count(*) FROM webhook_send_attempts) AS attempts`);
  return { events: Number(row.events), deliveries: Number(row.deliveries), attempts: Number(row.attempts) };
}
