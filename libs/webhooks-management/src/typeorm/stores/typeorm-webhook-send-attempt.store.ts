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
import { WebhookSendAttemptEntity } from '../entities';

/**
 * One statement, so one round trip and atomic: insert the attempt, move the delivery, and keep the
 * subscription's run of consecutive failures. A success only writes the subscription row when the run was
 * not already zero, so parallel successful deliveries to one endpoint do not queue on its row lock.
 */
const RECORD_SQL = `
  WITH attempt AS (
    INSERT INTO webhook_send_attempts (id, delivery_id, webhook_event_id, webhook_subscription_id, tenant_id,
      attempt_number, succeeded, response_status_code, response, request_headers, response_headers, duration_ms,
      error, creation_time)
    VALUES ($1, $2, $3, $4, $5, $6::int, $7::boolean, $8, $9, $10, $11, $12, $13, $14::timestamptz)
  ), delivery AS (
    UPDATE webhook_deliveries
    SET state = $15, next_attempt_at = $16, attempt_count = $6::int, last_attempt_at = $14::timestamptz
    WHERE id = $2 AND (state = 'pending' OR $15 = 'succeeded')
  ), subscription AS (
    UPDATE webhook_subscriptions
    SET consecutive_failure_count = CASE WHEN $7 THEN 0 ELSE consecutive_failure_count + 1 END
    WHERE id = $4 AND (NOT $7 OR consecutive_failure_count <> 0)
    RETURNING consecutive_failure_count
  )
  SELECT consecutive_failure_count AS "consecutiveFailures" FROM subscription`;

@Injectable()
export class TypeOrmWebhookSendAttemptStore extends WebhookSendAttemptStore {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(WebhookSendAttemptEntity) private readonly repository: Repository<WebhookSendAttemptEntity>,
  ) {
    super();
  }

  async record(a: WebhookSendAttempt, transition: DeliveryTransition): Promise<{ consecutiveFailures: number }> {
    const rows: { consecutiveFailures: number }[] = await this.dataSource.query(RECORD_SQL, [
      a.id,
      a.deliveryId,
      a.webhookEventId,
      a.webhookSubscriptionId,
      a.tenantId,
      a.attemptNumber,
      a.succeeded,
      a.responseStatusCode,
      a.response,
      JSON.stringify(a.requestHeaders),
      a.responseHeaders === null ? null : JSON.stringify(a.responseHeaders),
      a.durationMs,
      a.error,
      a.creationTime,
      transition.state,
      transition.nextAttemptAt,
    ]);
    return { consecutiveFailures: rows[0]?.consecutiveFailures ?? 0 };
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
