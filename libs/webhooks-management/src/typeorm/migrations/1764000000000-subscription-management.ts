import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Subscription management: the secret a rotation replaced (signing beside the new one until it expires), a
 * hash index on the URI for the duplicate check (same tenant, same URI, a shared webhook name), and the
 * tenant's deliveries by time for stats.
 */
export class SubscriptionManagement1764000000000 implements MigrationInterface {
  name = 'SubscriptionManagement1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE webhook_subscriptions
        ADD COLUMN previous_secret varchar(256) NULL,
        ADD COLUMN previous_secret_expires_at timestamptz NULL`);
    // Hash, not btree: a 2048-character URI can exceed a btree entry's size limit.
    await q.query(`CREATE INDEX ix_webhook_subscriptions_uri ON webhook_subscriptions USING hash (webhook_uri)`);
    await q.query(`CREATE INDEX ix_webhook_deliveries_tenant_creation ON webhook_deliveries (tenant_id, creation_time)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_webhook_deliveries_tenant_creation`);
    await q.query(`DROP INDEX ix_webhook_subscriptions_uri`);
    await q.query(`ALTER TABLE webhook_subscriptions DROP COLUMN previous_secret, DROP COLUMN previous_secret_expires_at`);
  }
}
