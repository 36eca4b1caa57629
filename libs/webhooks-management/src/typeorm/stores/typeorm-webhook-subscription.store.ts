import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import {
  MatchedSubscription,
  PagedResult,
  SaveSubscriptionOutcome,
  SubscriptionQuery,
  WebhookSubscription,
  WebhookSubscriptionStore,
} from '@hookline/webhooks';
import { SecretCipher } from '@hookline/webhooks-core';
import { WebhookSubscriptionEntity } from '../entities';
import { containsPattern } from '../like-pattern';
import { tenantCondition, tenantWhere } from '../tenant-condition';
import { retryOnDeadlock } from '../deadlock';

/** First key of the advisory locks that serialize saves of one tenant and URI (the second is their hash). */
const SUBSCRIPTION_URI_LOCK = 0x486b; // "Hk"

/** A JSON document for a `json` column: TypeORM's write types cannot see into a record of unknown values. */
const jsonColumn = (value: object | null) => value as never;

@Injectable()
export class TypeOrmWebhookSubscriptionStore extends WebhookSubscriptionStore {
  /** Every column, aliased to its property, for RETURNING the whole subscription. */
  private readonly returning: string;

  constructor(
    @InjectRepository(WebhookSubscriptionEntity) private readonly repository: Repository<WebhookSubscriptionEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: SecretCipher,
  ) {
    super();
    this.returning = repository.metadata.columns.map((c) => `${c.databaseName} AS "${c.propertyName}"`).join(', ');
  }

  async findById(tenantId: string | null, id: string): Promise<WebhookSubscription | null> {
    const row = await this.repository.findOneBy({ id, tenantId: tenantWhere(tenantId) });
    return row && this.decrypted(row);
  }

  async findActiveByPatterns(tenantId: string | null, patterns: readonly string[]): Promise<MatchedSubscription[]> {
    const params: unknown[] = [patterns];
    return this.dataSource.query(
      `SELECT id, filter::text AS filter FROM webhook_subscriptions
       WHERE ${tenantCondition('tenant_id', tenantId, params)} AND is_active AND webhooks && $1::text[]`,
      params,
    );
  }

  async findActiveByTenantsAndPatterns(
    tenantIds: readonly string[],
    patterns: readonly string[],
  ): Promise<(MatchedSubscription & { tenantId: string })[]> {
    const params: unknown[] = [patterns];
    return this.dataSource.query(
      `SELECT id, tenant_id AS "tenantId", filter::text AS filter FROM webhook_subscriptions
       WHERE ${tenantCondition('tenant_id', tenantIds, params)} AND is_active AND webhooks && $1::text[]`,
      params,
    );
  }

  /**
   * Two statements, not one: holding the subscription row while locking its deliveries could deadlock with
   * an attempt being recorded (which holds its delivery, then updates the subscription). Should the second
   * not run, the jobs of those deliveries find the subscription inactive and abandon them themselves.
   */
  async deactivate(id: string, reason: string, at: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_subscriptions
       SET is_active = false, deactivated_at = $2, deactivation_reason = $3, concurrency_stamp = $4
       WHERE id = $1 AND is_active`,
      [id, at, reason, randomUUID()],
    );
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET state = 'abandoned', next_attempt_at = NULL
       WHERE webhook_subscription_id = $1 AND state = 'pending'`,
      [id],
    );
  }

  async countActive(): Promise<number> {
    const [{ count }] = await this.dataSource.query(`SELECT count(*)::int AS count FROM webhook_subscriptions WHERE is_active`);
    return count;
  }

  async list(query: SubscriptionQuery): Promise<PagedResult<WebhookSubscription>> {
    const qb = this.repository.createQueryBuilder('s');
    qb.where({ tenantId: tenantWhere(query.tenantId) });
    if (query.webhookUri) qb.andWhere(`s.webhookUri ILIKE :uri ESCAPE '\\'`, { uri: containsPattern(query.webhookUri) });
    if (query.isActive !== undefined) qb.andWhere('s.isActive = :isActive', { isActive: query.isActive });
    if (query.webhookName) qb.andWhere('s.webhooks @> ARRAY[:webhookName]::text[]', { webhookName: query.webhookName });
    if (query.creationTimeFrom) qb.andWhere('s.creationTime >= :from', { from: query.creationTimeFrom });
    if (query.creationTimeTo) qb.andWhere('s.creationTime <= :to', { to: query.creationTimeTo });
    const { field, direction } = query.sorting ?? { field: 'creationTime', direction: 'DESC' };
    const [items, totalCount] = await qb
      .orderBy(`s.${field}`, direction)
      .addOrderBy('s.id', direction)
      .skip(query.skipCount)
      .take(query.maxResultCount)
      .getManyAndCount();
    return { totalCount, items: items.map((s) => this.decrypted(s)) };
  }

  async save(s: WebhookSubscription, expectedStamp?: string): Promise<SaveSubscriptionOutcome> {
    return this.dataSource.transaction(async (m) => {
      // Serializes the duplicate check and the write with any other save of this tenant and URI.
      await m.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [
        SUBSCRIPTION_URI_LOCK,
        `${s.tenantId ?? ''} ${s.webhookUri}`,
      ]);
      if (expectedStamp !== undefined) {
        const current = await m.findOne(WebhookSubscriptionEntity, {
          where: { id: s.id, tenantId: tenantWhere(s.tenantId) },
          lock: { mode: 'pessimistic_write' },
        });
        if (!current) return { kind: 'notFound' };
        if (current.concurrencyStamp !== expectedStamp) return { kind: 'stale' };
      }
      const existing = await this.findDuplicate(m, s);
      if (existing) return { kind: 'duplicate', existing };
      if (expectedStamp === undefined) {
        await m.insert(WebhookSubscriptionEntity, { ...this.encrypted(s), filter: jsonColumn(s.filter) });
      } else {
        // Only what an update may change: the failure count and activity belong to the sender and activate/deactivate.
        const { webhookUri, webhooks, filter, headers, description, timeoutDuration, maxSendAttemptCount, concurrencyStamp } = s;
        const { maxConcurrentSends, rateLimitPerSecond } = s;
        await m.update(
          WebhookSubscriptionEntity,
          { id: s.id },
          {
            webhookUri,
            webhooks,
            filter: jsonColumn(filter),
            headers,
            description,
            timeoutDuration,
            maxSendAttemptCount,
            maxConcurrentSends,
            rateLimitPerSecond,
            concurrencyStamp,
          },
        );
      }
      return { kind: 'saved' };
    });
  }

  private async findDuplicate(
    m: EntityManager,
    s: WebhookSubscription,
  ): Promise<Pick<WebhookSubscription, 'id' | 'webhooks'> | null> {
    const params: unknown[] = [s.webhookUri, s.webhooks, s.id];
    const [row] = await m.query(
      `SELECT id, webhooks FROM webhook_subscriptions
       WHERE ${tenantCondition('tenant_id', s.tenantId, params)} AND webhook_uri = $1 AND webhooks && $2::text[] AND id <> $3
       ORDER BY creation_time LIMIT 1`,
      params,
    );
    return row ?? null;
  }

  async delete(tenantId: string | null, ids: readonly string[]): Promise<string[]> {
    if (!ids.length) return [];
    // Batches of attempts lock deliveries of several subscriptions at once, so a deadlock remains possible.
    return retryOnDeadlock(() =>
      this.dataSource.transaction(async (m) => {
        const params: unknown[] = [ids];
        const ownIds = `SELECT id FROM webhook_subscriptions WHERE id = ANY($1::uuid[]) AND ${tenantCondition('tenant_id', tenantId, params)}`;
        // The history stays; what is pending is abandoned, never sent. Deliveries before the subscription: an
        // attempt being recorded locks its delivery, then the subscription, so the same order cannot deadlock.
        await m.query(
          `UPDATE webhook_deliveries SET state = 'abandoned', next_attempt_at = NULL
           WHERE webhook_subscription_id IN (${ownIds}) AND state = 'pending'`,
          params,
        );
        const deleted: { id: string }[] = await m.query(
          `WITH deleted AS (DELETE FROM webhook_subscriptions WHERE id IN (${ownIds}) RETURNING id) SELECT id FROM deleted`,
          params,
        );
        return deleted.map((d) => d.id);
      }),
    );
  }

  async activate(tenantId: string | null, id: string): Promise<WebhookSubscription | null> {
    return this.updateOne(
      tenantId,
      id,
      `is_active = true, consecutive_failure_count = 0, deactivated_at = NULL, deactivation_reason = NULL`,
      [],
    );
  }

  async rotateSecret(
    tenantId: string | null,
    id: string,
    secret: string,
    previousSecretExpiresAt: Date | null,
  ): Promise<WebhookSubscription | null> {
    return this.updateOne(
      tenantId,
      id,
      `previous_secret = CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE secret END,
       previous_secret_expires_at = $4::timestamptz, secret = $3`,
      [this.cipher.encrypt(secret, id), previousSecretExpiresAt],
    );
  }

  /** One UPDATE of one subscription of the tenant (with a new concurrency stamp); its new state, or null. */
  private async updateOne(
    tenantId: string | null,
    id: string,
    set: string,
    setParams: unknown[],
  ): Promise<WebhookSubscription | null> {
    const params: unknown[] = [id, randomUUID(), ...setParams];
    // TypeORM answers an UPDATE with [rows, affected].
    const [rows]: [WebhookSubscription[], number] = await this.dataSource.query(
      `UPDATE webhook_subscriptions SET ${set}, concurrency_stamp = $2
       WHERE id = $1 AND ${tenantCondition('tenant_id', tenantId, params)} RETURNING ${this.returning}`,
      params,
    );
    return rows[0] ? this.decrypted(rows[0]) : null;
  }

  /** The secrets as stored: encrypted when a key is configured. */
  private encrypted(s: WebhookSubscription): WebhookSubscription {
    return {
      ...s,
      secret: this.cipher.encrypt(s.secret, s.id),
      previousSecret: s.previousSecret === null ? null : this.cipher.encrypt(s.previousSecret, s.id),
    };
  }

  private decrypted(s: WebhookSubscription): WebhookSubscription {
    return {
      ...s,
      secret: this.cipher.decrypt(s.secret, s.id),
      previousSecret: s.previousSecret === null ? null : this.cipher.decrypt(s.previousSecret, s.id),
    };
  }
}
