import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency keys of publishes. The primary key makes a second claim of a key wait for, then see, the
 * first; `tenant_id` is '' for the host (a tenant id is never empty) so the key is a plain btree lookup.
 */
export class PublishIdempotencyKeys1763960000000 implements MigrationInterface {
  name = 'PublishIdempotencyKeys1763960000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_idempotency_keys (
        tenant_id varchar(64) NOT NULL,
        idempotency_key varchar(255) NOT NULL,
        request_hash char(64) NOT NULL,
        result jsonb NOT NULL,
        creation_time timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, idempotency_key)
      )`);
    await q.query(`CREATE INDEX ix_webhook_idempotency_keys_expires ON webhook_idempotency_keys (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_idempotency_keys`);
  }
}
