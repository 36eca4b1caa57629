/**
 * Storage per million deliveries: seeds a fresh, migrated database by SQL with N deliveries of the benchmark's
 * order (one event, one delivery and one successful attempt each, headers as really sent, ids UUIDv7 of the event's
 * time as the service makes them), then reports each table's size with its indexes (pg_total_relation_size), in
 * total and per million deliveries.
 *
 *   npm run build:bench && node .bench-build/bench/storage-growth.js [deliveries, default 200000]
 */
import { WEBHOOKS_ENTITIES, WEBHOOKS_MIGRATIONS, createWebhooksDataSource } from '@hookline/webhooks-management';
import { ScratchEnvironment } from '../test/support/hookline';
import { ORDER_DATA, signedEnvelope } from './bench-support';
import { CREATE_UUID7_FUNCTION } from './history-stage';

const TABLES = ['webhook_events', 'webhook_deliveries', 'webhook_send_attempts'];

async function main(): Promise<void> {
  const deliveries = Number(process.argv[2] ?? 200_000);
  const env = new ScratchEnvironment();
  const dataSource = await createWebhooksDataSource({
    type: 'postgres',
    url: env.databaseUrl(),
    entities: WEBHOOKS_ENTITIES,
    migrations: WEBHOOKS_MIGRATIONS,
    migrationsTableName: 'webhooks_migrations',
  });
  // One connection, so the temporary pg_temp function it creates is there for the seeding statement.
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query(CREATE_UUID7_FUNCTION);
    const { headers } = signedEnvelope();
    const responseHeaders = { 'content-type': 'application/json', 'content-length': '17', date: new Date().toUTCString() };
    await dataSource.query(
      `INSERT INTO webhook_subscriptions (id, tenant_id, webhook_uri, secret, webhooks, concurrency_stamp)
       SELECT gen_random_uuid(), 'tenant-' || i, 'https://receiver.example.com/hooks/' || i, 'whsec_' || md5(i::text),
              ARRAY['order.*'], md5(i::text)
       FROM generate_series(1, 1000) i`,
    );
    await runner.query(
      `WITH s AS (SELECT id, tenant_id, row_number() OVER () AS n FROM webhook_subscriptions),
       e AS (
         INSERT INTO webhook_events (id, tenant_id, webhook_name, data, creation_time)
         SELECT pg_temp.uuid7(at), 'tenant-' || (i % 1000 + 1), 'order.created', $2, at
         FROM (SELECT i, now() - ($1::int - i) * interval '10 ms' AS at FROM generate_series(1, $1::int) i) g
         RETURNING id, tenant_id, creation_time
       ), d AS (
         INSERT INTO webhook_deliveries (id, webhook_event_id, webhook_subscription_id, tenant_id, state, attempt_count,
           last_attempt_at, creation_time, event_creation_time)
         SELECT pg_temp.uuid7(e.creation_time), e.id, s.id, e.tenant_id, 'succeeded', 1, e.creation_time, e.creation_time, e.creation_time
         FROM e JOIN s ON s.tenant_id = e.tenant_id RETURNING id, webhook_event_id, webhook_subscription_id, tenant_id, creation_time
       )
       INSERT INTO webhook_send_attempts (id, delivery_id, webhook_event_id, webhook_subscription_id, tenant_id,
         attempt_number, succeeded, response_status_code, response, request_headers, response_headers, duration_ms, creation_time,
         event_creation_time)
       SELECT pg_temp.uuid7(creation_time), id, webhook_event_id, webhook_subscription_id, tenant_id, 1, true, 200, '{"received":true}',
              $3, $4, 40, creation_time, creation_time
       FROM d`,
      [deliveries, JSON.stringify(ORDER_DATA), headers, responseHeaders],
    );
    for (const table of TABLES) await dataSource.query(`VACUUM ANALYZE ${table}`);
    const rows: { table: string; bytes: string }[] = await dataSource.query(
      // A partitioned table's size is its partitions'.
      `SELECT t AS table, (SELECT sum(pg_total_relation_size(relid))::bigint FROM pg_partition_tree(t)) AS bytes
       FROM unnest($1::text[]) t`,
      [TABLES],
    );
    const perMillion = (bytes: number) => ((bytes / deliveries) * 1e6) / 2 ** 20;
    console.log(`${deliveries} deliveries (one event, one delivery, one attempt each); sizes with indexes:`);
    let total = 0;
    for (const { table, bytes } of rows) {
      total += Number(bytes);
      console.log(
        `  ${table.padEnd(24)} ${(Number(bytes) / 2 ** 20).toFixed(1)} MiB  = ${perMillion(Number(bytes)).toFixed(0)} MiB per million`,
      );
    }
    console.log(
      `  ${'total'.padEnd(24)} ${(total / 2 ** 20).toFixed(1)} MiB  = ${perMillion(total).toFixed(0)} MiB per million deliveries`,
    );
  } finally {
    await runner.release();
    await dataSource.destroy();
    await env.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
