import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';
import {
  ErasedHistoryResponses,
  ExpiredHistoryPartition,
  HistoryRetentionResult,
  WebhookHistoryPartitionStore,
} from '../../domain/ports/webhook-history-partition.store';
import {
  HISTORY_PARTITIONS_LOCK_KEY,
  HISTORY_TABLES,
  HistoryPartition,
  createHistoryDaysUntil,
  listHistoryPartitions,
} from '../history-partitions';

/** Arbitrary constant: the advisory lock held by the one process running a retention pass. */
const RETENTION_LOCK_KEY = 727_210_017;

/**
 * Shorter than PostgreSQL's deadlock_timeout (1 s): should dropping wait on a statement that waits on it, the
 * drop gives up first and the statement carries on.
 */
const DROP_LOCK_TIMEOUT = '500ms';

/** How long creating a day's partitions waits for the statements in flight on the parents. */
const CREATE_LOCK_TIMEOUT = '2s';

@Injectable()
export class TypeOrmWebhookHistoryPartitionStore extends WebhookHistoryPartitionStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async createPartitionsUntil(now: Date, until: Date): Promise<string[]> {
    return this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [HISTORY_PARTITIONS_LOCK_KEY]);
      // Creating a partition locks its parent: rather than queue every statement behind a long one, give up
      // and try again on the next run (days are made a week ahead).
      await m.query(`SET LOCAL lock_timeout = '${CREATE_LOCK_TIMEOUT}'`);
      return createHistoryDaysUntil(m, now, until);
    });
  }

  async applyRetention(cutoff: Date, responseCutoff: Date | null): Promise<HistoryRetentionResult | null> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [RETENTION_LOCK_KEY]);
      if (!locked) return null;
      try {
        const partitions = await listHistoryPartitions(runner);
        const expired: ExpiredHistoryPartition[] = [];
        for (const partition of partitions.filter((p) => p.until <= cutoff)) {
          expired.push(await this.dropUnlessPending(runner, partition));
        }
        const dropped = new Set(expired.filter((e) => e.outcome === 'dropped').map((e) => e.suffix));
        const erasedBefore = new Set(
          ((await runner.query(`SELECT partition_suffix AS suffix FROM webhook_history_days`)) as { suffix: string }[]).map(
            (r) => r.suffix,
          ),
        );
        const responsesErased: ErasedHistoryResponses[] = [];
        for (const partition of partitions) {
          if (!responseCutoff || partition.until > responseCutoff) continue;
          if (dropped.has(partition.suffix) || erasedBefore.has(partition.suffix)) continue;
          responsesErased.push(await this.eraseResponses(runner, partition));
        }
        return { expired, responsesErased };
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * In one transaction: the parents and the range's partitions locked (nothing reopens a delivery meanwhile),
   * its pending deliveries counted, and its partitions dropped only when there are none, attempts first.
   */
  private async dropUnlessPending(runner: QueryRunner, { suffix, until }: HistoryPartition): Promise<ExpiredHistoryPartition> {
    const leavesFirst = [...HISTORY_TABLES].reverse().map((t) => t.table);
    await runner.startTransaction();
    try {
      await runner.query('SELECT pg_advisory_xact_lock($1)', [HISTORY_PARTITIONS_LOCK_KEY]);
      await runner.query(`SET LOCAL lock_timeout = '${DROP_LOCK_TIMEOUT}'`);
      await runner.query(`LOCK TABLE ${leavesFirst.map((t) => `ONLY ${t}, ${t}${suffix}`).join(', ')} IN ACCESS EXCLUSIVE MODE`);
      const [{ pending }] = await runner.query(
        `SELECT count(*)::int AS pending FROM webhook_deliveries${suffix} WHERE state = 'pending'`,
      );
      if (pending > 0) {
        await runner.rollbackTransaction();
        return { suffix, until, outcome: 'kept_pending', pendingDeliveries: pending };
      }
      for (const table of leavesFirst) await runner.query(`DROP TABLE ${table}${suffix}`);
      await runner.query(`DELETE FROM webhook_history_days WHERE partition_suffix = $1`, [suffix]);
      await runner.commitTransaction();
      return { suffix, until, outcome: 'dropped', pendingDeliveries: 0 };
    } catch (e) {
      await runner.rollbackTransaction();
      // 55P03 lock_not_available: lock_timeout ran out.
      if ((e as { code?: string }).code === '55P03') return { suffix, until, outcome: 'kept_busy', pendingDeliveries: 0 };
      throw e;
    }
  }

  /**
   * The attempts' response bodies and headers of one day, erased in one statement that also marks the day, so
   * it is rewritten once. Attempts a later retry adds to the day keep theirs until the day is dropped.
   */
  private async eraseResponses(runner: QueryRunner, { suffix, until }: HistoryPartition): Promise<ErasedHistoryResponses> {
    const [{ attempts }] = await runner.query(
      `WITH erased AS (
         UPDATE webhook_send_attempts${suffix} SET response = NULL, response_headers = NULL
         WHERE response IS NOT NULL OR response_headers IS NOT NULL RETURNING 1
       ), marked AS (
         INSERT INTO webhook_history_days (partition_suffix, responses_erased_at) VALUES ($1, now())
         ON CONFLICT (partition_suffix) DO UPDATE SET responses_erased_at = EXCLUDED.responses_erased_at
       )
       SELECT count(*)::int AS attempts FROM erased`,
      [suffix],
    );
    return { suffix, until, attempts };
  }
}
