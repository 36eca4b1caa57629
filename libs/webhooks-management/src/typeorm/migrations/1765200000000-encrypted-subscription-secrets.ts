import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Subscription secrets are stored encrypted (`enc:v1:<key id>:<base64>`), longer than the secrets themselves:
 * the columns become text (no rewrite of the table: varchar and text share their storage). The values are
 * encrypted by the service at start-up, not here, since the keys live in its configuration.
 */
export class EncryptedSubscriptionSecrets1765200000000 implements MigrationInterface {
  name = 'EncryptedSubscriptionSecrets1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_subscriptions ALTER COLUMN secret TYPE text, ALTER COLUMN previous_secret TYPE text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE webhook_subscriptions ALTER COLUMN secret TYPE varchar(256), ALTER COLUMN previous_secret TYPE varchar(256)`,
    );
  }
}
