import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DeliverySendContext, OverdueDelivery, ReopenedDelivery, ReplayWindow, WebhookDeliveryStore } from '@hookline/webhooks';
import { MicroBatcher, SecretCipher } from '@hookline/webhooks-core';
import { historyKeysOfIds, keyRange } from '../history-partitions';
import { queryPrepared } from '../prepared-query';
import { tenantMatches } from '../tenant-condition';

/**
 * The send contexts of many deliveries, read in one query (the sender's hot path): only the columns sending
 * needs, since each is sent, parsed and allocated once per delivery. `deliveries` names the rows to read,
 * `events` bounds their events' partition key.
 */
const sendContextSql = (deliveries: string, events = '') => `
  SELECT d.id, d.webhook_event_id, d.webhook_subscription_id, d.tenant_id, d.state, d.attempt_count, d.attempt_base,
         e.webhook_name AS e_webhook_name, e.data AS e_data, e.send_exact_same_data AS e_send_exact_same_data,
         e.headers AS e_headers, e.use_only_given_headers AS e_use_only_given_headers, e.creation_time AS e_creation_time,
         s.id AS s_id, s.webhook_uri AS s_webhook_uri, s.secret AS s_secret, s.signature_scheme AS s_signature_scheme,
         s.previous_secret AS s_previous_secret,
         s.previous_secret_expires_at AS s_previous_secret_expires_at, s.headers AS s_headers, s.is_active AS s_is_active,
         s.timeout_duration AS s_timeout_duration, s.max_send_attempt_count AS s_max_send_attempt_count,
         s.max_concurrent_sends AS s_max_concurrent_sends, s.rate_limit_per_second AS s_rate_limit_per_second
  FROM ${deliveries}
  JOIN webhook_events e ON e.id = d.webhook_event_id AND e.creation_time = d.event_creation_time ${events}
  LEFT JOIN webhook_subscriptions s ON s.id = d.webhook_subscription_id`;
/** By full key (see keyRange): $1 the ids, $2 their partition keys (historyKeysOfIds), $3 and $4 the first and last. */
const SEND_CONTEXT_BY_KEY_SQL = sendContextSql(
  `unnest($1::uuid[], $2::timestamptz[]) AS k(id, event_creation_time)
  CROSS JOIN LATERAL (SELECT * FROM webhook_deliveries d
    WHERE d.id = k.id AND d.event_creation_time = k.event_creation_time
      AND d.event_creation_time BETWEEN $3::timestamptz AND $4::timestamptz LIMIT 1) d`,
  'AND e.creation_time BETWEEN $3::timestamptz AND $4::timestamptz',
);
/** By id alone ($1), for ids that carry no key (rows from before partitioning): every partition is read. */
const SEND_CONTEXT_BY_ID_SQL = sendContextSql(`(SELECT * FROM webhook_deliveries WHERE id = ANY($1::uuid[])) d`);

/**
 * Reopens the deliveries of a `candidates` CTE (id, state before): pending, due at $1, attempt budget counted
 * from now on; only those of an active subscription and an event not expunged.
 */
const reopenCandidates = (candidatesSql: string, guard = 'true') => `
  WITH candidates AS (${candidatesSql}),
  reopened AS (
    UPDATE webhook_deliveries d
    SET state = 'pending', next_attempt_at = $1, attempt_base = d.attempt_count
    FROM candidates c, webhook_subscriptions s
    WHERE d.id = c.id AND d.event_creation_time = c.event_creation_time AND s.id = d.webhook_subscription_id
      AND s.is_active AND ${guard}
      -- An expunged event's payload is gone: it is never sent again.
      AND NOT EXISTS (SELECT 1 FROM webhook_events e
        WHERE e.id = d.webhook_event_id AND e.creation_time = d.event_creation_time AND e.expunged_at IS NOT NULL)
    RETURNING d.id, d.webhook_subscription_id AS "webhookSubscriptionId", d.tenant_id AS "tenantId",
      c.state = 'pending' AS "wasPending"
  )`;

const REOPEN_BY_ATTEMPTS_SQL = `${reopenCandidates(`
    SELECT DISTINCT d.id, d.event_creation_time, d.state FROM webhook_send_attempts a
    JOIN webhook_deliveries d ON d.id = a.delivery_id AND d.event_creation_time = a.event_creation_time
    WHERE a.id = ANY($3::uuid[]) AND ${tenantMatches('a.tenant_id', '$2')} AND ${tenantMatches('d.tenant_id', '$2')}`)}
  SELECT * FROM reopened`;

/** $3 subscription, [$4, $5) event creation window, $6 only failed/abandoned, $7 the cap (one more is read to tell). */
const REOPEN_FOR_REPLAY_SQL = `${reopenCandidates(
  `
    SELECT d.id, d.event_creation_time, d.state FROM webhook_deliveries d
    WHERE d.webhook_subscription_id = $3 AND ${tenantMatches('d.tenant_id', '$2')}
      AND d.event_creation_time >= $4 AND d.event_creation_time < $5
      AND (NOT $6::boolean OR d.state IN ('failed', 'abandoned'))
    LIMIT $7::int + 1`,
  '(SELECT count(*) FROM candidates) <= $7::int',
)}
  SELECT m.matched, r.* FROM (SELECT count(*)::int AS matched FROM candidates) m LEFT JOIN reopened r ON true`;

@Injectable()
export class TypeOrmWebhookDeliveryStore extends WebhookDeliveryStore {
  /**
   * The deliveries a worker starts together are read together, one query at a time: the next one takes all
   * that queued meanwhile (fewer, larger queries under load).
   */
  private readonly sendContexts = new MicroBatcher<string, DeliverySendContext | null>(
    async (ids) => {
      const keys = historyKeysOfIds(ids);
      const rows = await (keys
        ? queryPrepared<Record<string, any>>(this.dataSource, 'send_contexts', SEND_CONTEXT_BY_KEY_SQL, [ids, ...keyRange(keys)])
        : queryPrepared<Record<string, any>>(this.dataSource, 'send_contexts_by_id', SEND_CONTEXT_BY_ID_SQL, [ids]));
      const byId = new Map(rows.map((r) => [r.id as string, r]));
      return ids.map((id) => (byId.has(id) ? toSendContext(byId.get(id)!, this.cipher) : null));
    },
    100,
    1,
  );

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: SecretCipher,
  ) {
    super();
  }

  async getSendContext(deliveryId: string): Promise<DeliverySendContext | null> {
    return this.sendContexts.load(deliveryId);
  }

  async findOverduePending(dueBefore: Date, after: OverdueDelivery | null, limit: number): Promise<OverdueDelivery[]> {
    return this.dataSource.query(
      `SELECT id, next_attempt_at AS "nextAttemptAt", webhook_subscription_id AS "webhookSubscriptionId",
              tenant_id AS "tenantId", attempt_count AS "attemptCount" FROM webhook_deliveries
       WHERE state = 'pending' AND next_attempt_at < $1
         AND ($2::timestamptz IS NULL OR (next_attempt_at, id) > ($2::timestamptz, $3::uuid))
       ORDER BY next_attempt_at, id LIMIT $4`,
      [dueBefore, after?.nextAttemptAt ?? null, after?.id ?? null, limit],
    );
  }

  async abandon(deliveryId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET state = 'abandoned', next_attempt_at = NULL
       WHERE id = $1 AND ($2::timestamptz[] IS NULL OR event_creation_time = ANY($2::timestamptz[])) AND state = 'pending'`,
      [deliveryId, historyKeysOfIds([deliveryId])],
    );
  }

  async reopenByAttempts(
    tenantId: string | null,
    sendAttemptIds: readonly string[],
    nextAttemptAt: Date,
  ): Promise<ReopenedDelivery[]> {
    return this.dataSource.query(REOPEN_BY_ATTEMPTS_SQL, [nextAttemptAt, tenantId, sendAttemptIds]);
  }

  async reopenForReplay(w: ReplayWindow, nextAttemptAt: Date): Promise<{ tooMany: boolean; reopened: ReopenedDelivery[] }> {
    const rows: ({ matched: number } & ({ id: null } | ReopenedDelivery))[] = await this.dataSource.query(REOPEN_FOR_REPLAY_SQL, [
      nextAttemptAt,
      w.tenantId,
      w.subscriptionId,
      w.since,
      w.until,
      w.onlyFailed,
      w.maxDeliveries,
    ]);
    return {
      tooMany: rows[0].matched > w.maxDeliveries,
      reopened: rows.flatMap(({ matched: _, ...r }) =>
        r.id === null
          ? []
          : [{ id: r.id, webhookSubscriptionId: r.webhookSubscriptionId, tenantId: r.tenantId, wasPending: r.wasPending }],
      ),
    };
  }
}

/** A row of SEND_CONTEXT_SQL as a send context; the secrets decrypted (from the cipher's cache after the first time). */
function toSendContext(r: Record<string, any>, cipher: SecretCipher): DeliverySendContext {
  return {
    delivery: {
      id: r.id,
      webhookSubscriptionId: r.webhook_subscription_id,
      tenantId: r.tenant_id,
      state: r.state,
      attemptCount: r.attempt_count,
      attemptBase: r.attempt_base,
    },
    event: {
      id: r.webhook_event_id,
      tenantId: r.tenant_id,
      webhookName: r.e_webhook_name,
      data: r.e_data,
      sendExactSameData: r.e_send_exact_same_data,
      headers: r.e_headers,
      useOnlyGivenHeaders: r.e_use_only_given_headers,
      creationTime: r.e_creation_time,
    },
    subscription: r.s_id
      ? {
          id: r.s_id,
          webhookUri: r.s_webhook_uri,
          secret: cipher.decrypt(r.s_secret, r.s_id),
          signatureScheme: r.s_signature_scheme,
          previousSecret: r.s_previous_secret === null ? null : cipher.decrypt(r.s_previous_secret, r.s_id),
          previousSecretExpiresAt: r.s_previous_secret_expires_at,
          headers: r.s_headers,
          isActive: r.s_is_active,
          timeoutDuration: r.s_timeout_duration,
          maxSendAttemptCount: r.s_max_send_attempt_count,
          maxConcurrentSends: r.s_max_concurrent_sends,
          rateLimitPerSecond: r.s_rate_limit_per_second,
        }
      : null,
  };
}
