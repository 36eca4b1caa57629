import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys, stored as SHA-256 hashes; authentication looks a key up by its hash. */
export class WebhookApiKeys1763950000000 implements MigrationInterface {
  name = 'WebhookApiKeys1763950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_api_keys (
        id uuid PRIMARY KEY,
        tenant_id varchar(64) NULL,
        name varchar(128) NOT NULL,
        key_prefix varchar(16) NOT NULL,
        key_hash char(64) NOT NULL,
        permissions text[] NOT NULL,
        creation_time timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NULL,
        revoked_at timestamptz NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX ux_webhook_api_keys_hash ON webhook_api_keys (key_hash)`);
    await q.query(`CREATE INDEX ix_webhook_api_keys_tenant ON webhook_api_keys (tenant_id, creation_time)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_api_keys`);
  }
}
