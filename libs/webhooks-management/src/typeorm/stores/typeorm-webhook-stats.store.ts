import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  LastFailedAttempt,
  TenantOverview,
  WebhookStats,
  WebhookStatsBucket,
  WebhookStatsStore,
  WebhookStatsWindow,
} from '../../domain/ports/webhook-stats.store';
import { tenantCondition } from '../tenant-condition';

/**
 * A window ($1) is of events: those created since then, their deliveries (made with them, at their time) and
 * the attempts on those deliveries (an attempt comes after its event). Each condition names the partition key
 * (the event's creation time), so a window reads its own days' partitions only; the creation time beside it
 * bounds the (tenant_id, creation_time) and (webhook_subscription_id, creation_time) index scans.
 */
const IN_WINDOW = `event_creation_time >= $1 AND creation_time >= $1`;

@Injectable()
export class TypeOrmWebhookStatsStore extends WebhookStatsStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  /**
   * Three aggregates over indexed ranges ((tenant_id, creation_time) on events, deliveries and attempts;
   * (webhook_subscription_id, …) for one subscription), cross-joined into one row by one statement, over the
   * window's days only (IN_WINDOW).
   */
  async stats({ tenantId, subscriptionId, since }: WebhookStatsWindow): Promise<WebhookStats> {
    const params: unknown[] = [since];
    const ofTenant = tenantCondition('tenant_id', tenantId, params);
    let ofSubscription = '';
    if (subscriptionId) {
      params.push(subscriptionId);
      ofSubscription = `AND webhook_subscription_id = $${params.length}`;
    }
    const deliveriesWhere = `${ofTenant} AND ${IN_WINDOW} ${ofSubscription}`;
    const events = subscriptionId
      ? `SELECT count(DISTINCT webhook_event_id)::int AS events FROM webhook_deliveries WHERE ${deliveriesWhere}`
      : `SELECT count(*)::int AS events FROM webhook_events WHERE ${ofTenant} AND creation_time >= $1`;
    const [row] = await this.dataSource.query(
      `SELECT e.events, d.*, a.*,
              d.succeeded::float8 / NULLIF(d.succeeded + d.failed, 0) AS "successRate",
              a."failedAttempts"::float8 / NULLIF(a.attempts, 0) AS "attemptFailureRate"
       FROM (${events}) e,
            (SELECT count(*)::int AS deliveries,
                    (count(*) FILTER (WHERE state = 'succeeded'))::int AS succeeded,
                    (count(*) FILTER (WHERE state IN ('failed', 'abandoned')))::int AS failed,
                    (count(*) FILTER (WHERE state = 'pending'))::int AS pending
             FROM webhook_deliveries WHERE ${deliveriesWhere}) d,
            (SELECT count(*)::int AS attempts,
                    (count(*) FILTER (WHERE NOT succeeded))::int AS "failedAttempts",
                    avg(duration_ms)::float8 AS "avgResponseTimeMs",
                    percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS "p95ResponseTimeMs"
             FROM webhook_send_attempts WHERE ${ofTenant} AND ${IN_WINDOW} ${ofSubscription}) a`,
      params,
    );
    return row;
  }

  async timeline({ tenantId, subscriptionId, since }: WebhookStatsWindow, bucketSeconds: number): Promise<WebhookStatsBucket[]> {
    const params: unknown[] = [since, bucketSeconds];
    const ofTenant = tenantCondition('tenant_id', tenantId, params);
    const ofSubscription = subscriptionId ? `AND webhook_subscription_id = $${params.push(subscriptionId)}` : '';
    return this.dataSource.query(
      `SELECT date_bin(make_interval(secs => $2), creation_time, $1) AS start,
              count(*)::int AS attempts,
              (count(*) FILTER (WHERE succeeded))::int AS succeeded,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS "p50ResponseTimeMs",
              percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS "p95ResponseTimeMs"
       FROM webhook_send_attempts WHERE ${ofTenant} AND ${IN_WINDOW} ${ofSubscription}
       GROUP BY 1 ORDER BY 1`,
      params,
    );
  }

  async tenants(
    since: Date,
    skipCount: number,
    maxResultCount: number,
  ): Promise<{ totalCount: number; items: TenantOverview[] }> {
    const rows: (TenantOverview & { totalCount: number })[] = await this.dataSource.query(
      `WITH s AS (SELECT tenant_id, count(*)::int AS subscriptions, (count(*) FILTER (WHERE is_active))::int AS active
                  FROM webhook_subscriptions WHERE tenant_id IS NOT NULL GROUP BY tenant_id),
            e AS (SELECT tenant_id, count(*)::int AS events
                  FROM webhook_events WHERE tenant_id IS NOT NULL AND creation_time >= $1 GROUP BY tenant_id),
            d AS (SELECT tenant_id, (count(*) FILTER (WHERE state IN ('failed', 'abandoned')))::int AS failed,
                         (count(*) FILTER (WHERE state = 'pending'))::int AS pending
                  FROM webhook_deliveries WHERE tenant_id IS NOT NULL AND ${IN_WINDOW} GROUP BY tenant_id)
       SELECT t.tenant_id AS "tenantId", coalesce(s.subscriptions, 0) AS subscriptions,
              coalesce(s.active, 0) AS "activeSubscriptions", coalesce(e.events, 0) AS events,
              coalesce(d.failed, 0) AS "failedDeliveries", coalesce(d.pending, 0) AS "pendingDeliveries",
              (count(*) OVER ())::int AS "totalCount"
       FROM (SELECT tenant_id FROM s UNION SELECT tenant_id FROM e) t
       LEFT JOIN s USING (tenant_id) LEFT JOIN e USING (tenant_id) LEFT JOIN d USING (tenant_id)
       ORDER BY t.tenant_id LIMIT $2 OFFSET $3`,
      [since, maxResultCount, skipCount],
    );
    return { totalCount: rows[0]?.totalCount ?? 0, items: rows.map(({ totalCount: _, ...tenant }) => tenant) };
  }

  async lastFailedAttempt(tenantId: string | null, subscriptionId: string): Promise<LastFailedAttempt | null> {
    const params: unknown[] = [subscriptionId];
    const [row] = await this.dataSource.query(
      `SELECT response_status_code AS "responseStatusCode", error, creation_time AS "creationTime"
       FROM webhook_send_attempts
       WHERE webhook_subscription_id = $1 AND ${tenantCondition('tenant_id', tenantId, params)} AND NOT succeeded
       ORDER BY creation_time DESC LIMIT 1`,
      params,
    );
    return row ?? null;
  }
}
