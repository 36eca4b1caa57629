import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An index of a partitioned history table: its name, the table, and the columns (and predicate) after the table.
 */
interface HistoryIndex {
  name: string;
  table: string;
  definition: string;
}

/**
 * The indexes the admin lists read, so that counting a list's rows and skipping to a deep page read the index
 * alone, not a table row per row counted or skipped:
 * - a tenant's events by time, with the id (the order's tie-break and the page's key) and the webhook name (a
 *   filter) in the index;
 * - a subscription's attempts by time, with the tenant, the outcome and the status code (the list's filters);
 * - a subscription's failed attempts alone (a small index: most attempts succeed), which finds the last failure
 *   without reading the successes, and counts the failed ones.
 */
const REPLACED: { old: HistoryIndex; index: HistoryIndex }[] = [
  {
    old: { name: 'ix_webhook_events_tenant_creation', table: 'webhook_events', definition: '(tenant_id, creation_time)' },
    index: {
      name: 'ix_webhook_events_tenant_creation_id',
      table: 'webhook_events',
      definition: '(tenant_id, creation_time, id) INCLUDE (webhook_name)',
    },
  },
  {
    old: {
      name: 'ix_webhook_send_attempts_subscription_creation',
      table: 'webhook_send_attempts',
      definition: '(webhook_subscription_id, creation_time DESC)',
    },
    index: {
      name: 'ix_webhook_send_attempts_subscription_creation_id',
      table: 'webhook_send_attempts',
      definition: '(webhook_subscription_id, creation_time DESC, id DESC) INCLUDE (tenant_id, succeeded, response_status_code)',
    },
  },
];
const ADDED: HistoryIndex[] = [
  {
    name: 'ix_webhook_send_attempts_subscription_failed',
    table: 'webhook_send_attempts',
    definition:
      '(webhook_subscription_id, creation_time DESC, id DESC) INCLUDE (tenant_id, response_status_code, event_creation_time) WHERE NOT succeeded',
  },
];

/**
 * Builds a partitioned index without holding up writes: the parent's index is made on the parent only, then each
 * partition's is built CONCURRENTLY (inserts go on meanwhile) and attached; once every partition has its own, the
 * parent's is valid. Partitions created meanwhile get theirs with the table. Safe to run again after an
 * interruption: a partition's index already attached is kept, one left invalid is built again.
 */
async function createPartitionedIndex(q: QueryRunner, { name, table, definition }: HistoryIndex): Promise<void> {
  await q.query(`CREATE INDEX IF NOT EXISTS ${name} ON ONLY ${table} ${definition}`);
  const partitions: { partition: string; suffix: string }[] = await q.query(
    `SELECT c.relname AS partition, substr(c.relname, length($1::text) + 1) AS suffix
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = $1::text::regclass
       AND NOT EXISTS (SELECT 1 FROM pg_inherits ii JOIN pg_index x ON x.indexrelid = ii.inhrelid
                       WHERE ii.inhparent = $2::text::regclass AND x.indrelid = c.oid)
     ORDER BY 1`,
    [table, name],
  );
  for (const { partition, suffix } of partitions) {
    const own = `${name}${suffix}`.slice(0, 63);
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS ${own}`);
    await q.query(`CREATE INDEX CONCURRENTLY ${own} ON ${partition} ${definition}`);
    await q.query(`ALTER INDEX ${name} ATTACH PARTITION ${own}`);
  }
}

/**
 * Replaces two history indexes by covering ones and adds the failed attempts' index (see REPLACED, ADDED),
 * outside a transaction: each partition's index is built CONCURRENTLY, so publishing and sending go on while
 * it runs (its time grows with the history; the old indexes serve until the new ones are complete).
 */
export class HistoryListIndexes1766200000000 implements MigrationInterface {
  name = 'HistoryListIndexes1766200000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    for (const { index } of REPLACED) await createPartitionedIndex(q, index);
    for (const index of ADDED) await createPartitionedIndex(q, index);
    for (const { old } of REPLACED) await q.query(`DROP INDEX IF EXISTS ${old.name}`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const { old } of REPLACED) await createPartitionedIndex(q, old);
    for (const index of ADDED) await q.query(`DROP INDEX IF EXISTS ${index.name}`);
    for (const { index } of REPLACED) await q.query(`DROP INDEX IF EXISTS ${index.name}`);
  }
}
