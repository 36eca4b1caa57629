import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenant erasures run in the background: one row per tenant says how far its erasure got, and which process
 * holds it (a lease, so another process resumes it when that one dies). An expunged event keeps its metadata
 * and the time its payload was erased.
 */
export class DataLifecycle1765600000000 implements MigrationInterface {
  name = 'DataLifecycle1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_tenant_erasures (
        tenant_id varchar(64) PRIMARY KEY,
        state varchar(16) NOT NULL CHECK (state IN ('running', 'completed')),
        requested_at timestamptz NOT NULL,
        completed_at timestamptz NULL,
        deleted_rows jsonb NOT NULL DEFAULT '{}',
        lease_until timestamptz NULL
      )`);
    await q.query(`ALTER TABLE webhook_events ADD COLUMN expunged_at timestamptz NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_events DROP COLUMN expunged_at`);
    await q.query(`DROP TABLE webhook_tenant_erasures`);
  }
}
