import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { WebhookApiKey } from '../../domain/ports/webhook-api-key.store';

@Entity('webhook_api_keys')
export class WebhookApiKeyEntity implements WebhookApiKey {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'tenant_id', type: 'varchar', length: 64, nullable: true }) tenantId: string | null;
  @Column({ type: 'varchar', length: 128 }) name: string;
  @Column({ name: 'key_prefix', type: 'varchar', length: 16 }) keyPrefix: string;
  @Column({ name: 'key_hash', type: 'char', length: 64 }) keyHash: string;
  @Column({ type: 'text', array: true }) permissions: string[];
  @Column({ name: 'creation_time', type: 'timestamptz' }) creationTime: Date;
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt: Date | null;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt: Date | null;
}
