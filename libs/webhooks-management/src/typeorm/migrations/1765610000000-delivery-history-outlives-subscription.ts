import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A subscription's deliveries and attempts outlive it: deleting the subscription keeps its history (still
 * listed by its id), so deliveries no longer reference the subscription row.
 */
export class DeliveryHistoryOutlivesSubscription1765610000000 implements MigrationInterface {
  name = 'DeliveryHistoryOutlivesSubscription1765610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_webhook_subscription_id_fkey`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DELETE FROM webhook_deliveries d WHERE NOT EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.id = d.webhook_subscription_id)`,
    );
    await q.query(`
      ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_webhook_subscription_id_fkey
        FOREIGN KEY (webhook_subscription_id) REFERENCES webhook_subscriptions (id) ON DELETE CASCADE`);
  }
}
