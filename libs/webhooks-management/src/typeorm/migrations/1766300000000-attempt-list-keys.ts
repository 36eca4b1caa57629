import { MigrationInterface, QueryRunner } from 'typeorm';
import { HistoryIndex, replacePartitionedIndex } from './partitioned-index';

/** A subscription's attempts by time, as 1766200000000 made the index. */
const OLD: HistoryIndex = {
  name: 'ix_webhook_send_attempts_subscription_creation_id',
  table: 'webhook_send_attempts',
  definition: '(webhook_subscription_id, creation_time DESC, id DESC) INCLUDE (tenant_id, succeeded, response_status_code)',
};

/**
 * The same with the partition key: a page of a subscription's attempts takes its rows' keys (id and
 * event_creation_time) from the index alone, then reads only those rows, each in its own day.
 */
const INDEX: HistoryIndex = {
  name: 'ix_webhook_send_attempts_subscription_page',
  table: 'webhook_send_attempts',
  definition:
    '(webhook_subscription_id, creation_time DESC, id DESC) INCLUDE (tenant_id, succeeded, response_status_code, event_creation_time)',
};

/**
 * Replaces a subscription's attempts index by one that also holds the partition key (see INDEX), outside a
 * transaction: each partition's index is built CONCURRENTLY, so publishing and sending go on while it runs; the
 * old index serves until the new one is complete.
 */
export class AttemptListKeys1766300000000 implements MigrationInterface {
  name = 'AttemptListKeys1766300000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await replacePartitionedIndex(q, OLD, INDEX);
  }

  async down(q: QueryRunner): Promise<void> {
    await replacePartitionedIndex(q, INDEX, OLD);
  }
}
