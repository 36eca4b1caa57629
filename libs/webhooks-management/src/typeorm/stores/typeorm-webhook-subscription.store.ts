import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, Repository } from 'typeorm';
import { WebhookSubscription, WebhookSubscriptionStore } from '@hookline/webhooks';
import { WebhookSubscriptionEntity } from '../entities';

@Injectable()
export class TypeOrmWebhookSubscriptionStore extends WebhookSubscriptionStore {
  constructor(
    @InjectRepository(WebhookSubscriptionEntity) private readonly repository: Repository<WebhookSubscriptionEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    super();
  }

  async insert(subscription: WebhookSubscription): Promise<void> {
    await this.repository.insert(subscription);
  }

  async findById(tenantId: string | null, id: string): Promise<WebhookSubscription | null> {
    return this.repository.findOneBy({ id, tenantId: tenantId ?? IsNull() });
  }

  async findActiveIdsByPatterns(tenantId: string | null, patterns: readonly string[]): Promise<string[]> {
    // Two spellings so each uses the partial tenant index (`= NULL` never matches, IS NOT DISTINCT FROM is not indexable).
    const rows: { id: string }[] =
      tenantId === null
        ? await this.dataSource.query(
            `SELECT id FROM webhook_subscriptions WHERE tenant_id IS NULL AND is_active AND webhooks && $1::text[]`,
            [patterns],
          )
        : await this.dataSource.query(
            `SELECT id FROM webhook_subscriptions WHERE tenant_id = $1 AND is_active AND webhooks && $2::text[]`,
            [tenantId, patterns],
          );
    return rows.map((r) => r.id);
  }

  async findActiveByTenantsAndPatterns(
    tenantIds: readonly string[],
    patterns: readonly string[],
  ): Promise<{ id: string; tenantId: string }[]> {
    return this.dataSource.query(
      `SELECT id, tenant_id AS "tenantId" FROM webhook_subscriptions
       WHERE tenant_id = ANY($1::varchar[]) AND is_active AND webhooks && $2::text[]`,
      [tenantIds, patterns],
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
}
