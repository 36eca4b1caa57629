import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import {
  EventQuery,
  EventWithDeliveries,
  IdempotencyClaim,
  KeysetPage,
  SaveEventsOutcome,
  WebhookEventStore,
  WebhookEventSummary,
  WebhookEventWithDeliveries,
} from '@hookline/webhooks';
import { timeOfTimeOrderedId } from '@hookline/webhooks-core';
import { WebhookDeliveryEntity } from '../entities';
import { POSITION_TIME } from '../keyset-position';
import { queryPrepared } from '../prepared-query';
import { tenantCondition, tenantMatches, tenantWhere } from '../tenant-condition';

/** Between the data texts of one insert: a JSON text never holds this character unescaped. */
const DATA_SEPARATOR = '\x1e';

/**
 * The events and all their deliveries in one statement (one round trip, atomic), however many there are:
 * each event column is one parameter, so PostgreSQL's limit on parameters never splits it. A delivery is new:
 * pending, never attempted, created with its event, of its event's tenant; only its id, event, subscription
 * and due time (null: its event's creation time) are sent, the rest is taken from its event or written here.
 * The data texts go as one text joined by DATA_SEPARATOR and the ids as array literals, which need no
 * escaping on either side.
 */
const INSERT_EVENTS_SQL = `
  WITH e AS (
    SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], string_to_array($4, E'\\x1e'), $5::boolean[],
      $6::jsonb[], $7::boolean[], $8::timestamptz[])
      AS e(id, tenant_id, webhook_name, data, send_exact_same_data, headers, use_only_given_headers, creation_time)
  ), events AS (
    INSERT INTO webhook_events (id, tenant_id, webhook_name, data, send_exact_same_data, headers, use_only_given_headers,
      creation_time)
    SELECT * FROM e
  )
  INSERT INTO webhook_deliveries (id, webhook_event_id, webhook_subscription_id, tenant_id, state, attempt_count,
    attempt_base, next_attempt_at, last_attempt_at, creation_time, event_creation_time)
  SELECT d.id, e.id, d.subscription_id, e.tenant_id, 'pending', 0, 0, coalesce(d.next_attempt_at, e.creation_time), NULL,
    e.creation_time, e.creation_time
  FROM unnest($9::uuid[], $10::uuid[], $11::uuid[], $12::timestamptz[]) AS d(id, event_id, subscription_id, next_attempt_at)
  JOIN e ON e.id = d.event_id`;

/** The name INSERT_EVENTS_SQL is prepared under on each pooled connection. */
const INSERT_EVENTS_STATEMENT = 'hookline_insert_events';

/** A PostgreSQL array literal of UUIDs (which never need quoting). */
const uuidArray = (ids: readonly string[]) => `{${ids.join(',')}}`;

/**
 * A delivery saved with a new event must be new (see INSERT_EVENTS_SQL), and its id and its event's, when
 * time-ordered, must carry the event's creation time: lookups by id read the partition their UUIDv7 id names
 * (historyKeysOfIds), so otherwise those rows could not be found by id.
 */
function assertNewDeliveries(event: EventWithDeliveries['event'], deliveries: EventWithDeliveries['deliveries']): void {
  const created = event.creationTime.getTime();
  // How a UUIDv7 of that time starts: most ids are told by this alone.
  const hex = created.toString(16).padStart(12, '0');
  const ofCreation = `${hex.slice(0, 8)}-${hex.slice(8)}-7`;
  for (const id of [event.id, ...deliveries.map((d) => d.id)]) {
    if (id.startsWith(ofCreation)) continue;
    const time = timeOfTimeOrderedId(id);
    if (time && time.getTime() !== created) {
      throw new Error(
        `id ${id} carries ${time.toISOString()}, not its event's creation time ${event.creationTime.toISOString()}`,
      );
    }
  }
  for (const d of deliveries) {
    if (
      d.webhookEventId !== event.id ||
      d.tenantId !== event.tenantId ||
      d.state !== 'pending' ||
      d.attemptCount !== 0 ||
      d.attemptBase !== 0 ||
      d.lastAttemptAt !== null ||
      d.nextAttemptAt === null ||
      d.creationTime.getTime() !== created
    ) {
      throw new Error(`delivery ${d.id} is not a new pending delivery of event ${event.id}`);
    }
  }
}

/** The host's keys are stored under '' (a tenant id is never empty). */
const keyOwner = (tenantId: string | null) => tenantId ?? '';

/**
 * Claims a key: inserts it, or takes over an expired one; a live key returns no row. On the way it deletes
 * two other expired keys, so expired keys are cleaned by the publishes themselves, a few at a time, without
 * a job. SKIP LOCKED: concurrent publishes never wait on each other's cleaning.
 */
const CLAIM_SQL = `
  WITH expired AS (
    DELETE FROM webhook_idempotency_keys WHERE ctid = ANY(ARRAY(
      SELECT ctid FROM webhook_idempotency_keys
      WHERE expires_at <= $5 AND NOT (tenant_id = $1 AND idempotency_key = $2)
      LIMIT 2 FOR UPDATE SKIP LOCKED))
  )
  INSERT INTO webhook_idempotency_keys AS k (tenant_id, idempotency_key, request_hash, result, creation_time, expires_at)
  VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT (tenant_id, idempotency_key) DO UPDATE
    SET request_hash = EXCLUDED.request_hash, result = EXCLUDED.result,
        creation_time = EXCLUDED.creation_time, expires_at = EXCLUDED.expires_at
    WHERE k.expires_at <= EXCLUDED.creation_time
  RETURNING 1`;

/** The event columns, camelCased, without `data`. */
const EVENT_SUMMARY_COLUMNS = `e.id, e.tenant_id AS "tenantId", e.webhook_name AS "webhookName",
  e.send_exact_same_data AS "sendExactSameData", e.headers, e.use_only_given_headers AS "useOnlyGivenHeaders",
  e.creation_time AS "creationTime", e.expunged_at AS "expungedAt"`;

@Injectable()
export class TypeOrmWebhookEventStore extends WebhookEventStore {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(WebhookDeliveryEntity) private readonly deliveries: Repository<WebhookDeliveryEntity>,
  ) {
    super();
  }

  async saveEvents(batch: EventWithDeliveries[], idempotency?: IdempotencyClaim | null): Promise<SaveEventsOutcome> {
    // Without a key, the one statement is atomic on its own: no BEGIN/COMMIT round trips.
    if (!idempotency) {
      await this.insertEvents(null, batch);
      return { saved: true };
    }
    return this.dataSource.transaction(async (manager) => {
      const earlier = await this.claim(manager, idempotency);
      if (earlier) return { saved: false, earlier };
      await this.insertEvents(manager, batch);
      return { saved: true };
    });
  }

  /** Keyless publishes use the prepared statement on any pooled connection; a claim's, its transaction's. */
  private async insertEvents(manager: EntityManager | null, batch: EventWithDeliveries[]): Promise<void> {
    const events = batch.map((b) => b.event);
    for (const { event, deliveries } of batch) assertNewDeliveries(event, deliveries);
    const deliveries = batch.flatMap((b) => b.deliveries);
    const data = events.map((e) => e.data);
    if (data.some((text) => text.includes(DATA_SEPARATOR))) {
      throw new Error('event data is not a JSON text: it holds an unescaped U+001E');
    }
    const values = [
      uuidArray(events.map((e) => e.id)),
      events.map((e) => e.tenantId),
      events.map((e) => e.webhookName),
      data.join(DATA_SEPARATOR),
      events.map((e) => e.sendExactSameData),
      events.map((e) => (e.headers === null ? null : JSON.stringify(e.headers))),
      events.map((e) => e.useOnlyGivenHeaders),
      events.map((e) => e.creationTime.toISOString()),
      uuidArray(deliveries.map((d) => d.id)),
      uuidArray(deliveries.map((d) => d.webhookEventId)),
      uuidArray(deliveries.map((d) => d.webhookSubscriptionId)),
      batch.flatMap(({ event, deliveries: ofEvent }) =>
        ofEvent.map((d) => (d.nextAttemptAt!.getTime() === event.creationTime.getTime() ? null : d.nextAttemptAt!.toISOString())),
      ),
    ];
    if (manager) await manager.query(INSERT_EVENTS_SQL, values);
    else await queryPrepared(this.dataSource, INSERT_EVENTS_STATEMENT, INSERT_EVENTS_SQL, values);
  }

  /** Null when the key is now ours; otherwise the live claim that holds it. */
  private async claim(manager: EntityManager, c: IdempotencyClaim): Promise<{ requestHash: string; result: unknown } | null> {
    const owner = keyOwner(c.tenantId);
    const claimed: unknown[] = await manager.query(CLAIM_SQL, [
      owner,
      c.key,
      c.requestHash,
      JSON.stringify(c.result),
      c.creationTime,
      c.expiresAt,
    ]);
    if (claimed.length) return null;
    const [earlier] = await manager.query(
      `SELECT request_hash AS "requestHash", result FROM webhook_idempotency_keys WHERE tenant_id = $1 AND idempotency_key = $2`,
      [owner, c.key],
    );
    return earlier;
  }

  async list(q: EventQuery): Promise<KeysetPage<WebhookEventSummary>> {
    const params: unknown[] = [];
    const where = [tenantCondition('e.tenant_id', q.tenantId, params)];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.webhookName !== undefined) add('e.webhook_name = ?', q.webhookName);
    if (q.creationTimeFrom !== undefined) add('e.creation_time >= ?', q.creationTimeFrom);
    if (q.creationTimeTo !== undefined) add('e.creation_time <= ?', q.creationTimeTo);
    if (q.subscriptionId !== undefined || q.state !== undefined) {
      const ofDelivery: string[] = [];
      if (q.subscriptionId !== undefined) ofDelivery.push(`d.webhook_subscription_id = $${params.push(q.subscriptionId)}`);
      if (q.state !== undefined) ofDelivery.push(`d.state = $${params.push(q.state)}`);
      where.push(
        `EXISTS (SELECT 1 FROM webhook_deliveries d
          WHERE d.webhook_event_id = e.id AND d.event_creation_time = e.creation_time AND ${ofDelivery.join(' AND ')})`,
      );
    }
    const filter = where.join(' AND ');
    const order = q.order === 'asc' ? 'ASC' : 'DESC';
    // The page after a keyset position; the total still counts every event the filters match.
    const after = q.after
      ? `AND (e.creation_time, e.id) ${order === 'ASC' ? '>' : '<'} ($${params.length + 1}::timestamptz, $${params.length + 2}::uuid)`
      : '';
    const pageParams = q.after ? [...params, q.after.creationTime, q.after.id] : params;
    // The page's keys first, from the (tenant_id, creation_time, id) index alone, then each of the page's rows by
    // its key in its own day (OFFSET 0 keeps that lookup apart, so it is not planned as a join over every day):
    // a deep skipCount reads no event it skips, and counts no delivery of one.
    const [rows, [{ count }]] = await Promise.all([
      this.dataSource.query(
        `SELECT ${EVENT_SUMMARY_COLUMNS}, ${POSITION_TIME('e')},
                (SELECT count(*)::int FROM webhook_deliveries d
                 WHERE d.webhook_event_id = e.id AND d.event_creation_time = e.creation_time) AS "deliveryCount"
         FROM (SELECT e.id, e.creation_time FROM webhook_events e WHERE ${filter} ${after}
               ORDER BY e.creation_time ${order}, e.id ${order}
               LIMIT ${q.maxResultCount} OFFSET ${q.skipCount}) page
         CROSS JOIN LATERAL (
           SELECT * FROM webhook_events e
           WHERE e.id = page.id AND e.creation_time = page.creation_time AND ${where[0]} OFFSET 0) e
         ORDER BY e.creation_time ${order}, e.id ${order}`,
        pageParams,
      ),
      this.dataSource.query(`SELECT count(*)::int AS count FROM webhook_events e WHERE ${filter}`, params),
    ]);
    const items = rows.map(({ positionTime: _, ...event }: { positionTime: string }) => event);
    const last = rows.length === q.maxResultCount ? rows[rows.length - 1] : null;
    return { totalCount: count, items, next: last && { creationTime: last.positionTime, id: last.id } };
  }

  async findWithDeliveries(tenantId: string | null, id: string): Promise<WebhookEventWithDeliveries | null> {
    const [[event], deliveries] = await Promise.all([
      this.dataSource.query(
        `SELECT ${EVENT_SUMMARY_COLUMNS}, e.data FROM webhook_events e WHERE e.id = $1 AND ${tenantMatches('e.tenant_id', '$2')}`,
        [id, tenantId],
      ),
      this.deliveries.find({
        where: { webhookEventId: id, tenantId: tenantWhere(tenantId) },
        order: { creationTime: 'ASC', id: 'ASC' },
      }),
    ]);
    return event ? { event, deliveries } : null;
  }
}
