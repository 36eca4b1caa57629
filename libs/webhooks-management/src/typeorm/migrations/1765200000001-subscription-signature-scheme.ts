import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How each subscription's deliveries are signed: with its shared secret (HMAC-SHA256, as every subscription was
 * until now), or with an Ed25519 private key, kept in the same secret columns, whose public key receivers verify.
 */
export class SubscriptionSignatureScheme1765200000001 implements MigrationInterface {
  name = 'SubscriptionSignatureScheme1765200000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_subscriptions ADD COLUMN signature_scheme varchar(16) NOT NULL DEFAULT 'hmac-sha256'
      CONSTRAINT ck_webhook_subscriptions_signature_scheme CHECK (signature_scheme IN ('hmac-sha256', 'ed25519'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_subscriptions DROP COLUMN signature_scheme`);
  }
}
