import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Portal sessions: the one-time token and the session token, each stored as its SHA-256 only. */
export class PortalSessions1765400000000 implements MigrationInterface {
  name = 'PortalSessions1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_portal_sessions (
        id uuid PRIMARY KEY,
        tenant_id varchar(64) NULL,
        permissions text[] NOT NULL,
        token_hash char(64) NULL,
        session_hash char(64) NULL,
        creation_time timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX ux_webhook_portal_sessions_token ON webhook_portal_sessions (token_hash)`);
    await q.query(`CREATE UNIQUE INDEX ux_webhook_portal_sessions_session ON webhook_portal_sessions (session_hash)`);
    await q.query(`CREATE INDEX ix_webhook_portal_sessions_expires ON webhook_portal_sessions (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_portal_sessions`);
  }
}
