import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import {
  And,
  DataSource,
  FindOptionsOrder,
  FindOptionsWhere,
  ILike,
  In,
  IsNull,
  LessThanOrEqual,
  MoreThanOrEqual,
  Repository,
} from 'typeorm';
import {
  DeliveryTransition,
  PagedResult,
  SendAttemptQuery,
  WebhookSendAttempt,
  WebhookSendAttemptStore,
} from '@hookline/webhooks';
import { MicroBatcher } from '@hookline/webhooks-core';
import { WebhookSendAttemptEntity } from '../entities';
import { isDeadlock } from '../deadlock';
import { queryPrepared } from '../prepared-query';

/**
 * One statement for a batch of attempts, so one round trip and atomic: insert the attempts, move their
 * deliveries, and keep each subscription's run of consecutive failures ($17-$19: per subscription, whether
 * the batch holds a success and how many failures follow the last one). A subscription row is only written
 * when its run changes, so parallel successful deliveries to one endpoint do not queue on its row lock.
 */
const RECORD_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::varchar[], $6::int[], $7::boolean[],
      $8::int[], $9::text[], $10::jsonb[], $11::jsonb[], $12::int[], $13::text[], $14::timestamptz[], $15::varchar[],
      $16::timestamptz[])
      AS i(id, delivery_id, webhook_event_id, webhook_subscription_id, tenant_id, attempt_number, succeeded,
        response_status_code, response, request_headers, response_headers, duration_ms, error, creation_time,
        next_state, next_attempt_at)
  ), attempt AS (
    INSERT INTO webhook_send_attempts (id, delivery_id, webhook_event_id, webhook_subscription_id, tenant_id,
      attempt_number, succeeded, response_status_code, response, request_headers, response_headers, duration_ms,
      error, creation_time)
    SELECT id, delivery_id, webhook_event_id, webhook_subscription_id, tenant_id, attempt_number, succeeded,
      response_status_code, response, request_headers, response_headers, duration_ms, error, creation_time
    FROM input
  ), delivery AS (
    UPDATE webhook_deliveries d
    SET state = i.next_state, next_attempt_at = i.next_attempt_at, attempt_count = i.attempt_number,
        last_attempt_at = i.creation_time, queue_job_id = NULL
    FROM input i
    WHERE d.id = i.delivery_id AND (d.state = 'pending' OR i.next_state = 'succeeded')
  ), subscription AS (
    UPDATE webhook_subscriptions s
    SET consecutive_failure_count = CASE WHEN r.had_success THEN r.failures_after ELSE s.consecutive_failure_count + r.failures_after END
    FROM unnest($17::uuid[], $18::boolean[], $19::int[]) AS r(id, had_success, failures_after)
    WHERE s.id = r.id AND (r.failures_after <> 0 OR s.consecutive_failure_count <> r.failures_after)
    RETURNING s.id, s.consecutive_failure_count
  )
  SELECT id, consecutive_failure_count AS "consecutiveFailures" FROM subscription`;

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

  /** Attempts recorded by concurrent deliveries go to PostgreSQL together. */
  private readonly batches = new MicroBatcher<AttemptToRecord, PromiseSettledResult<RecordedRun>>((items) =>
    this.recordBatch(items),
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
  private async recordBatch(items: AttemptToRecord[]): Promise<PromiseSettledResult<RecordedRun>[]> {
    try {
      return (await this.recordTogether(items)).map((value) => ({ status: 'fulfilled', value }));
    } catch (e) {
      if (items.length === 1 && !isDeadlock(e)) return [{ status: 'rejected', reason: e }];
      const results: PromiseSettledResult<RecordedRun>[] = [];
      for (const item of items) {
        results.push(
          await this.recordTogether([item]).then(
            ([value]) => ({ status: 'fulfilled', value }) as const,
            (reason: unknown) => ({ status: 'rejected', reason }) as const,
          ),
        );
      }
      return results;
    }
  }

  private async recordTogether(items: AttemptToRecord[]): Promise<RecordedRun[]> {
    // Rows in id order, so concurrent batches lock the rows they share in the same order.
    const sorted = [...items].sort((x, y) => (x.attempt.deliveryId < y.attempt.deliveryId ? -1 : 1));
    const column = <T>(value: (item: AttemptToRecord) => T) => sorted.map(value);
    const runs = failureRuns(items.map((i) => i.attempt));
    const rows = await queryPrepared<{ id: string; consecutiveFailures: number }>(
      this.dataSource,
      'record_attempts',
      RECORD_SQL,
      [
        column((i) => i.attempt.id),
        column((i) => i.attempt.deliveryId),
        column((i) => i.attempt.webhookEventId),
        column((i) => i.attempt.webhookSubscriptionId),
        column((i) => i.attempt.tenantId),
        column((i) => i.attempt.attemptNumber),
        column((i) => i.attempt.succeeded),
        column((i) => i.attempt.responseStatusCode),
        column((i) => i.attempt.response),
        column((i) => JSON.stringify(i.attempt.requestHeaders)),
        column((i) => (i.attempt.responseHeaders === null ? null : JSON.stringify(i.attempt.responseHeaders))),
        column((i) => i.attempt.durationMs),
        column((i) => i.attempt.error),
        column((i) => i.attempt.creationTime.toISOString()),
        column((i) => i.transition.state),
        column((i) => i.transition.nextAttemptAt?.toISOString() ?? null),
        runs.map((r) => r.subscriptionId),
        runs.map((r) => r.reset),
        runs.map((r) => r.trailing),
      ],
    );
    const counts = new Map(rows.map((r) => [r.id, r.consecutiveFailures]));
    return items.map((i) => ({ consecutiveFailures: counts.get(i.attempt.webhookSubscriptionId) ?? 0 }));
  }

  async list(query: SendAttemptQuery): Promise<PagedResult<WebhookSendAttempt>> {
    const where: FindOptionsWhere<WebhookSendAttemptEntity> = { tenantId: query.tenantId ?? IsNull() };
    if (query.webhookEventId) where.webhookEventId = query.webhookEventId;
    if (query.subscriptionId) where.webhookSubscriptionId = query.subscriptionId;
    if (query.state) where.succeeded = query.state === 'success';
    if (query.responseStatusCode !== undefined) where.responseStatusCode = query.responseStatusCode;
    const from = query.creationTimeFrom && MoreThanOrEqual(query.creationTimeFrom);
    const to = query.creationTimeTo && LessThanOrEqual(query.creationTimeTo);
    if (from || to) where.creationTime = from && to ? And(from, to) : (from ?? to);
    if (query.responseContains) where.response = ILike(`%${escapeLike(query.responseContains)}%`);
    const order: FindOptionsOrder<WebhookSendAttemptEntity> = query.sorting
      ? { [query.sorting.field]: query.sorting.direction, id: 'ASC' }
      : { creationTime: 'DESC', attemptNumber: 'DESC', id: 'ASC' };
    const [items, totalCount] = await this.repository.findAndCount({
      where,
      order,
      skip: query.skipCount,
      take: query.maxResultCount,
    });
    return { totalCount, items };
  }

  async findById(tenantId: string | null, id: string): Promise<WebhookSendAttempt | null> {
    return this.repository.findOneBy({ id, tenantId: tenantId ?? IsNull() });
  }

  async delete(tenantId: string | null, ids: readonly string[]): Promise<number> {
    const result = await this.repository.delete({ id: In([...ids]), tenantId: tenantId ?? IsNull() });
    return result.affected ?? 0;
  }
}

/** `%`, `_` and `\` match themselves in a LIKE pattern. */
const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

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
