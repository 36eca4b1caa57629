import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PortalSession, PortalSessionStore } from '../../domain/ports/portal-session.store';

const COLUMNS = `id, tenant_id AS "tenantId", permissions, token_hash AS "tokenHash", session_hash AS "sessionHash",
  creation_time AS "creationTime", expires_at AS "expiresAt"`;

@Injectable()
export class TypeOrmPortalSessionStore extends PortalSessionStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async insert(s: PortalSession): Promise<void> {
    await this.dataSource.query(
      `WITH expired AS (DELETE FROM webhook_portal_sessions WHERE expires_at <= $6)
       INSERT INTO webhook_portal_sessions (id, tenant_id, permissions, token_hash, session_hash, creation_time, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [s.id, s.tenantId, s.permissions, s.tokenHash, s.sessionHash, s.creationTime, s.expiresAt],
    );
  }

  /** One UPDATE: of two requests racing with the same token, the second finds token_hash already NULL. */
  async exchange(tokenHash: string, sessionHash: string, now: Date): Promise<PortalSession | null> {
    const [rows] = await this.dataSource.query(
      `UPDATE webhook_portal_sessions SET token_hash = NULL, session_hash = $2
       WHERE token_hash = $1 AND expires_at > $3 RETURNING ${COLUMNS}`,
      [tokenHash, sessionHash, now],
    );
    return rows[0] ?? null;
  }

  async findLive(sessionHash: string, now: Date): Promise<PortalSession | null> {
    const [row] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM webhook_portal_sessions WHERE session_hash = $1 AND expires_at > $2`,
      [sessionHash, now],
    );
    return row ?? null;
  }

  async delete(sessionHash: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM webhook_portal_sessions WHERE session_hash = $1`, [sessionHash]);
  }
}
