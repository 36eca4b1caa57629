import { MigrationInterface, QueryRunner } from 'typeorm';
import { HistoryIndex, createPartitionedIndex, replacePartitionedIndex } from './partitioned-index';

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
 * Replaces two history indexes by covering ones and adds the failed attempts' index (see REPLACED, ADDED),
 * outside a transaction: each partition's index is built CONCURRENTLY, so publishing and sending go on while
 * it runs (its time grows with the history; the old indexes serve until the new ones are complete).
 */
export class HistoryListIndexes1766200000000 implements MigrationInterface {
  name = 'HistoryListIndexes1766200000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    for (const { old, index } of REPLACED) await replacePartitionedIndex(q, old, index);
    for (const index of ADDED) await createPartitionedIndex(q, index);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const { old, index } of REPLACED) await replacePartitionedIndex(q, index, old);
    for (const index of ADDED) await q.query(`DROP INDEX IF EXISTS ${index.name}`);
  }
}
