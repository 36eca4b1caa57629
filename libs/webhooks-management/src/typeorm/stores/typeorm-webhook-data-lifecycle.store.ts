import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  ErasedBatch,
  ExpungedEvent,
  TenantErasure,
  WebhookDataLifecycleStore,
} from '../../domain/ports/webhook-data-lifecycle.store';
import { retryOnDeadlock } from '../deadlock';
import { tenantCondition } from '../tenant-condition';

const ERASURES = 'webhook_tenant_erasures';
const SUBSCRIPTIONS = 'webhook_subscriptions';

/**
 * Tables erased first, in this order: the tenant's API keys (its own access ends first), then the history
 * from the leaves up, so no single statement cascades over a large part of it. Every other table with a
 * `tenant_id` column follows, by name: a table added later is erased without being listed here.
 */
const ERASURE_ORDER = [
  'webhook_api_keys',
  'webhook_send_attempts',
  'webhook_deliveries',
  'webhook_events',
  SUBSCRIPTIONS,
  'webhook_idempotency_keys',
];

const ERASURE_COLUMNS = `tenant_id AS "tenantId", state, requested_at AS "requestedAt", completed_at AS "completedAt",
  deleted_rows AS "deletedRows"`;

/**
 * Up to $2 rows of tenant $1 from `relation` (a plain table, or one partition of a partitioned one: a ctid names a
 * row within one table only), counted under key $3 of the erasure's deleted rows; lease to $4.
 */
const eraseBatchSql = (relation: string, returnIds: boolean) => `
  WITH d AS (
    DELETE FROM ${relation} WHERE tenant_id = $1
      AND ctid = ANY(ARRAY(SELECT ctid FROM ${relation} WHERE tenant_id = $1 LIMIT $2))
    RETURNING ${returnIds ? 'id::text' : 'NULL::text'} AS id
  ), n AS (SELECT count(*)::int AS deleted, array_remove(array_agg(id), NULL) AS ids FROM d)
  UPDATE ${ERASURES}
  SET deleted_rows = jsonb_set(deleted_rows, ARRAY[$3::text], to_jsonb(coalesce((deleted_rows->>$3)::bigint, 0) + n.deleted)),
      lease_until = $4
  FROM n WHERE tenant_id = $1
  RETURNING n.deleted, n.ids`;

/** A table holding tenant rows; a partitioned one is erased a partition at a time. */
interface TenantTable {
  name: string;
  partitioned: boolean;
}

@Injectable()
export class TypeOrmWebhookDataLifecycleStore extends WebhookDataLifecycleStore {
  private tenantTables?: Promise<TenantTable[]>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async requestErasure(tenantId: string, at: Date): Promise<TenantErasure> {
    const [started] = await this.dataSource.query(
      `INSERT INTO ${ERASURES} AS e (tenant_id, state, requested_at) VALUES ($1, 'running', $2)
       ON CONFLICT (tenant_id) DO UPDATE
         SET state = 'running', requested_at = $2, completed_at = NULL, deleted_rows = '{}', lease_until = NULL
         WHERE e.state = 'completed'
       RETURNING ${ERASURE_COLUMNS}`,
      [tenantId, at],
    );
    return started ?? (await this.findErasure(tenantId))!;
  }

  async findErasure(tenantId: string): Promise<TenantErasure | null> {
    const [row] = await this.dataSource.query(`SELECT ${ERASURE_COLUMNS} FROM ${ERASURES} WHERE tenant_id = $1`, [tenantId]);
    return row ?? null;
  }

  async claimErasure(now: Date, leaseUntil: Date): Promise<string | null> {
    // TypeORM answers an UPDATE with [rows, affected].
    const [[row]] = await this.dataSource.query(
      `UPDATE ${ERASURES} SET lease_until = $2
       WHERE tenant_id = (
         SELECT tenant_id FROM ${ERASURES} WHERE state = 'running' AND (lease_until IS NULL OR lease_until < $1)
         ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING tenant_id AS "tenantId"`,
      [now, leaseUntil],
    );
    return row?.tenantId ?? null;
  }

  async eraseBatch(tenantId: string, limit: number, leaseUntil: Date): Promise<ErasedBatch | null> {
    for (const { name: table, partitioned } of await this.tablesWithTenants()) {
      const relation = partitioned ? await this.partitionWithRowsOf(table, tenantId) : `"${table}"`;
      if (!relation) continue;
      const subscriptions = table === SUBSCRIPTIONS;
      // Deleting deliveries may meet attempts being recorded for several of them at once.
      const [rows] = await retryOnDeadlock(() =>
        this.dataSource.query(eraseBatchSql(relation, subscriptions), [tenantId, limit, table, leaseUntil]),
      );
      const deleted = rows[0]?.deleted ?? 0;
      if (deleted > 0) return { table, deleted, subscriptionIds: subscriptions ? rows[0].ids : [] };
    }
    return null;
  }

  async completeErasure(tenantId: string, at: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE ${ERASURES} SET state = 'completed', completed_at = $2, lease_until = NULL WHERE tenant_id = $1`,
      [tenantId, at],
    );
  }

  async releaseErasure(tenantId: string): Promise<void> {
    await this.dataSource.query(`UPDATE ${ERASURES} SET lease_until = NULL WHERE tenant_id = $1`, [tenantId]);
  }

  /** One statement: the event, its attempts and its pending deliveries change together or not at all. */
  async expungeEvent(tenantId: string | null, id: string, at: Date): Promise<ExpungedEvent | null> {
    const params: unknown[] = [id, at];
    const [row] = await this.dataSource.query(
      `WITH e AS (
         UPDATE webhook_events SET data = 'null', headers = NULL, expunged_at = coalesce(expunged_at, $2)
         WHERE id = $1 AND ${tenantCondition('tenant_id', tenantId, params)}
         RETURNING id, expunged_at
       ), a AS (
         UPDATE webhook_send_attempts SET request_headers = '{}', response = NULL, response_headers = NULL
         WHERE webhook_event_id IN (SELECT id FROM e) RETURNING 1
       ), d AS (
         UPDATE webhook_deliveries SET state = 'abandoned', next_attempt_at = NULL
         WHERE webhook_event_id IN (SELECT id FROM e) AND state = 'pending' RETURNING 1
       )
       SELECT e.id AS "webhookEventId", e.expunged_at AS "expungedAt",
              (SELECT count(*)::int FROM a) AS "expungedAttempts", (SELECT count(*)::int FROM d) AS "abandonedDeliveries"
       FROM e`,
      params,
    );
    return row ?? null;
  }

  /** A partition of `table` holding a row of the tenant (its name, quoted as SQL needs it), or null. */
  private async partitionWithRowsOf(table: string, tenantId: string): Promise<string | null> {
    const [row] = await this.dataSource.query(
      `SELECT tableoid::regclass::text AS name FROM "${table}" WHERE tenant_id = $1 LIMIT 1`,
      [tenantId],
    );
    return row?.name ?? null;
  }

  /** The tables holding tenant rows (top-level tables with a `tenant_id` column), erasure order first. */
  private tablesWithTenants(): Promise<TenantTable[]> {
    this.tenantTables ??= this.dataSource
      .query(
        `SELECT c.relname AS name, c.relkind = 'p' AS partitioned FROM pg_class c
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND c.relname <> $1`,
        [ERASURES],
      )
      .then((rows: TenantTable[]) => {
        const rank = (name: string) => (ERASURE_ORDER.includes(name) ? ERASURE_ORDER.indexOf(name) : ERASURE_ORDER.length);
        return rows.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
      });
    return this.tenantTables;
  }
}
