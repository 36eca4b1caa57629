import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { And, DataSource, FindOptionsWhere, In, LessThan, MoreThanOrEqual, Repository } from 'typeorm';
import {
  DeliveryTransition,
  KeysetPage,
  SendAttemptQuery,
  SendAttemptSortField,
  WebhookSendAttempt,
  WebhookSendAttemptStore,
} from '@hookline/webhooks';
import { POSITION_TIME } from '../keyset-position';
import { containsPattern } from '../like-pattern';
import { tenantCondition, tenantWhere } from '../tenant-condition';
import { MicroBatcher, settleTogetherOrAlone } from '@hookline/webhooks-core';
import { WebhookSendAttemptEntity } from '../entities';
import { isDeadlock } from '../deadlock';
import { historyKeysOfIds, historyRangeOfIds, keyRange } from '../history-partitions';
import { queryPrepared } from '../prepared-query';

/**
 * One statement for a batch of attempts, so one round trip and atomic: insert the attempts, move their
 * deliveries, and keep each subscription's run of consecutive failures ($2: per subscription, whether the batch
 * holds a success and how many failures follow the last one). A subscription row is only written when its run
 * changes, so parallel successful deliveries to one endpoint do not queue on its row lock. The batch travels as
 * one JSON array ($1, keys named as the columns): one native JSON.stringify instead of a PostgreSQL array
 * literal escaped in JavaScript for each of sixteen columns. `deliveries` finds the batch's deliveries (`d`,
 * from $3, their ids) once: an attempt takes its delivery's partition key (a delivery gone meanwhile leaves it
 * null, which fails the statement), and the update finds its rows by their full key (`updated` bounds it).
 */
const recordSql = (deliveries: string, updated = '') => `
  WITH input AS (
    SELECT * FROM json_to_recordset($1::json)
      AS i(id uuid, delivery_id uuid, webhook_event_id uuid, webhook_subscription_id uuid, tenant_id varchar,
        attempt_number int, succeeded boolean, response_status_code int, response text, request_headers jsonb,
        response_headers jsonb, duration_ms int, error text, creation_time timestamptz, next_state varchar,
        next_attempt_at timestamptz)
  ), delivery_key AS (
    SELECT d.id, d.event_creation_time FROM ${deliveries}
  ), attempt AS (
    INSERT INTO webhook_send_attempts (id, delivery_id, webhook_event_id, webhook_subscription_id, tenant_id,
      attempt_number, succeeded, response_status_code, response, request_headers, response_headers, duration_ms,
      error, creation_time, event_creation_time)
    SELECT i.id, i.delivery_id, i.webhook_event_id, i.webhook_subscription_id, i.tenant_id, i.attempt_number, i.succeeded,
      i.response_status_code, i.response, i.request_headers, i.response_headers, i.duration_ms, i.error, i.creation_time,
      k.event_creation_time
    FROM input i LEFT JOIN delivery_key k ON k.id = i.delivery_id
  ), delivery AS (
    UPDATE webhook_deliveries d
    SET state = i.next_state, next_attempt_at = i.next_attempt_at, attempt_count = i.attempt_number,
        last_attempt_at = i.creation_time
    FROM delivery_key k JOIN input i ON i.delivery_id = k.id
    WHERE d.id = k.id AND d.event_creation_time = k.event_creation_time ${updated}
      AND (d.state = 'pending' OR i.next_state = 'succeeded')
  ), subscription AS (
    UPDATE webhook_subscriptions s
    SET consecutive_failure_count = CASE WHEN r.had_success THEN r.failures_after ELSE s.consecutive_failure_count + r.failures_after END
    FROM json_to_recordset($2::json) AS r(id uuid, had_success boolean, failures_after int)
    WHERE s.id = ANY($4::uuid[]) AND s.id = r.id AND (r.failures_after <> 0 OR s.consecutive_failure_count <> r.failures_after)
    RETURNING s.id, s.consecutive_failure_count
  )
  SELECT id, consecutive_failure_count AS "consecutiveFailures" FROM subscription`;
/** By full key (see keyRange): $5 the deliveries' partition keys (historyKeysOfIds), $6 and $7 the first and last. */
const RECORD_BY_KEY_SQL = recordSql(
  `unnest($3::uuid[], $5::timestamptz[]) AS dk(id, event_creation_time)
      CROSS JOIN LATERAL (SELECT d.id, d.event_creation_time FROM webhook_deliveries d
        WHERE d.id = dk.id AND d.event_creation_time = dk.event_creation_time
          AND d.event_creation_time BETWEEN $6::timestamptz AND $7::timestamptz LIMIT 1) d`,
  'AND d.event_creation_time BETWEEN $6::timestamptz AND $7::timestamptz',
);
/** By id alone, for ids that carry no key (rows from before partitioning): every partition is read. */
const RECORD_BY_ID_SQL = recordSql(`webhook_deliveries d WHERE d.id = ANY($3::uuid[])`);

/**
 * PostgreSQL text cannot hold NUL: a receiver's answer with one is stored with U+FFFD in its place. Without this
 * its attempt could never be recorded, and the delivery never settled.
 */
const storableText = (text: string | null): string | null =>
  text !== null && text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;

interface AttemptToRecord {
  attempt: WebhookSendAttempt;
  transition: DeliveryTransition;
}

type RecordedRun = { consecutiveFailures: number };

@Injectable()
export class TypeOrmWebhookSendAttemptStore extends WebhookSendAttemptStore {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(WebhookSendAttemptEntity) private readonly repository: Repository<WebhookSendAttemptEntity>,
  ) {
    super();
  }

  /**
   * Attempts recorded by concurrent deliveries go to PostgreSQL together, one statement at a time: the next
   * takes every attempt made meanwhile, so a busy worker plans, executes and commits fewer, larger statements
   * (up to 200 attempts). Recording is off the send path: a send slot is free before it.
   */
  private readonly batches = new MicroBatcher<AttemptToRecord, PromiseSettledResult<RecordedRun>>(
    (items) => this.recordBatch(items),
    200,
    1,
  );

  async record(attempt: WebhookSendAttempt, transition: DeliveryTransition): Promise<RecordedRun> {
    const recorded = await this.batches.load({ attempt, transition });
    if (recorded.status === 'rejected') throw recorded.reason;
    return recorded.value;
  }

  /**
   * Records a batch in one statement; should that fail (or be picked to end a deadlock), each attempt again
   * on its own, so one bad row (say, its delivery deleted meanwhile) fails only its own delivery's run.
   */
  private recordBatch(items: AttemptToRecord[]): Promise<PromiseSettledResult<RecordedRun>[]> {
    return settleTogetherOrAlone(items, (batch) => this.recordTogether(batch), isDeadlock);
  }

  private async recordTogether(items: AttemptToRecord[]): Promise<RecordedRun[]> {
    // Rows in id order, so concurrent batches lock the rows they share in the same order.
    const sorted = [...items].sort((x, y) => (x.attempt.deliveryId < y.attempt.deliveryId ? -1 : 1));
    const runs = failureRuns(items.map((i) => i.attempt));
    const input = sorted.map(({ attempt: a, transition: t }) => ({
      id: a.id,
      delivery_id: a.deliveryId,
      webhook_event_id: a.webhookEventId,
      webhook_subscription_id: a.webhookSubscriptionId,
      tenant_id: a.tenantId,
      attempt_number: a.attemptNumber,
      succeeded: a.succeeded,
      response_status_code: a.responseStatusCode,
      response: storableText(a.response),
      request_headers: a.requestHeaders,
      response_headers: a.responseHeaders,
      duration_ms: a.durationMs,
      error: storableText(a.error),
      creation_time: a.creationTime,
      next_state: t.state,
      next_attempt_at: t.nextAttemptAt,
    }));
    const subscriptionRuns = runs.map((r) => ({ id: r.subscriptionId, had_success: r.reset, failures_after: r.trailing }));
    const deliveryIds = sorted.map((i) => i.attempt.deliveryId);
    const keys = historyKeysOfIds(deliveryIds);
    const values = [JSON.stringify(input), JSON.stringify(subscriptionRuns), deliveryIds, runs.map((r) => r.subscriptionId)];
    type Row = { id: string; consecutiveFailures: number };
    const rows = await (keys
      ? queryPrepared<Row>(this.dataSource, 'record_attempts', RECORD_BY_KEY_SQL, [...values, ...keyRange(keys)])
      : queryPrepared<Row>(this.dataSource, 'record_attempts_by_id', RECORD_BY_ID_SQL, values));
    const counts = new Map(rows.map((r) => [r.id, r.consecutiveFailures]));
    return items.map((i) => ({ consecutiveFailures: counts.get(i.attempt.webhookSubscriptionId) ?? 0 }));
  }

  async list(query: SendAttemptQuery): Promise<KeysetPage<WebhookSendAttempt>> {
    const params: unknown[] = [];
    const where = [tenantCondition('a.tenant_id', query.tenantId, params)];
    const add = (sql: string, value: unknown) => where.push(`${sql} $${params.push(value)}`);
    if (query.webhookEventId) add('a.webhook_event_id =', query.webhookEventId);
    if (query.subscriptionId) add('a.webhook_subscription_id =', query.subscriptionId);
    if (query.state) add('a.succeeded =', query.state === 'success');
    if (query.responseStatusCode !== undefined) add('a.response_status_code =', query.responseStatusCode);
    if (query.creationTimeFrom) add('a.creation_time >=', query.creationTimeFrom);
    if (query.creationTimeTo) add('a.creation_time <=', query.creationTimeTo);
    // The partition key is the event's creation time: an event's time-ordered id carries it, and an attempt
    // comes after its event, so an upper bound on the attempt's time bounds it too.
    const eventTime = query.webhookEventId ? historyRangeOfIds([query.webhookEventId]) : null;
    if (eventTime) {
      add('a.event_creation_time >=', eventTime.from);
      add('a.event_creation_time <', eventTime.to);
    }
    if (query.creationTimeTo) add('a.event_creation_time <=', query.creationTimeTo);
    if (query.responseContains) add('a.response ILIKE', containsPattern(query.responseContains));
    const filter = where.join(' AND ');
    // Creation time, then id, in one direction: the order keyset paging follows. Any other sorting pages by skipCount.
    const keyset = !query.sorting || query.sorting.field === 'creationTime';
    const direction = query.sorting?.direction ?? 'DESC';
    const order = keyset
      ? `a.creation_time ${direction}, a.id ${direction}`
      : `a.${this.columnOf(query.sorting!.field)} ${direction}, a.id ASC`;
    const pageParams = [...params];
    const after =
      keyset && query.after
        ? `AND (a.creation_time, a.id) ${direction === 'ASC' ? '>' : '<'} ` +
          `($${pageParams.push(query.after.creationTime)}::timestamptz, $${pageParams.push(query.after.id)}::uuid)`
        : '';
    const limit = `LIMIT $${pageParams.push(query.maxResultCount)} OFFSET $${pageParams.push(query.skipCount)}`;
    // The page's keys first, then each of the page's rows by its key in its own day (OFFSET 0 keeps that lookup
    // apart, so it is not planned as a join over every day). Where an index holds the filters' columns and the
    // partition key (a subscription's attempts by time), the keys come from the index alone: the rows a page skips,
    // or that come before its cursor, are never read from the table. The total still counts every attempt the filters match,
    // those before a keyset position too.
    const [rows, [{ count }]] = await Promise.all([
      this.dataSource.query(
        `SELECT ${this.selectedColumns()}, ${POSITION_TIME('a')}
         FROM (SELECT a.id, a.event_creation_time FROM webhook_send_attempts a WHERE ${filter} ${after}
               ORDER BY ${order} ${limit}) page
         CROSS JOIN LATERAL (
           SELECT * FROM webhook_send_attempts a
           WHERE a.id = page.id AND a.event_creation_time = page.event_creation_time AND ${where[0]} OFFSET 0) a
         ORDER BY ${order}`,
        pageParams,
      ),
      this.dataSource.query(`SELECT count(*)::int AS count FROM webhook_send_attempts a WHERE ${filter}`, params),
    ]);
    const items = rows.map(({ positionTime: _, ...attempt }: { positionTime: string }) => attempt);
    const last = keyset && rows.length === query.maxResultCount ? rows[rows.length - 1] : null;
    return { totalCount: count, items, next: last && { creationTime: last.positionTime, id: last.id } };
  }

  /** The attempt's columns a list answers, each named as the model's property (the partition key is not one). */
  private selectedColumns(): string {
    return this.repository.metadata.columns
      .filter((c) => c.isSelect)
      .map((c) => `a.${c.databaseName} AS "${c.propertyName}"`)
      .join(', ');
  }

  private columnOf(field: SendAttemptSortField): string {
    return this.repository.metadata.findColumnWithPropertyName(field)!.databaseName;
  }

  async findById(tenantId: string | null, id: string): Promise<WebhookSendAttempt | null> {
    return this.repository.findOneBy({ ...byIds([id]), tenantId: tenantWhere(tenantId) });
  }

  async delete(tenantId: string | null, ids: readonly string[]): Promise<number> {
    const result = await this.repository.delete({ ...byIds(ids), tenantId: tenantWhere(tenantId) });
    return result.affected ?? 0;
  }
}

/** The attempts with these ids, looked up in the days their ids name (historyRangeOfIds). */
function byIds(ids: readonly string[]): FindOptionsWhere<WebhookSendAttemptEntity> {
  const range = historyRangeOfIds(ids);
  const id = ids.length === 1 ? ids[0] : In([...ids]);
  return range ? { id, eventCreationTime: And(MoreThanOrEqual(range.from), LessThan(range.to)) } : { id };
}

/**
 * What a batch of attempts (in the order they were made) does to each subscription's run of consecutive
 * failures: a success resets it, so the run continues from the failures after the batch's last success.
 * Subscriptions in id order (the order rows are locked in).
 */
export function failureRuns(attempts: Pick<WebhookSendAttempt, 'webhookSubscriptionId' | 'succeeded'>[]) {
  const runs = new Map<string, { subscriptionId: string; reset: boolean; trailing: number }>();
  for (const a of attempts) {
    const run = runs.get(a.webhookSubscriptionId) ?? { subscriptionId: a.webhookSubscriptionId, reset: false, trailing: 0 };
    if (a.succeeded) Object.assign(run, { reset: true, trailing: 0 });
    else run.trailing++;
    runs.set(a.webhookSubscriptionId, run);
  }
  return [...runs.values()].sort((x, y) => (x.subscriptionId < y.subscriptionId ? -1 : 1));
}
