import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { WebhookEvent } from '@hookline/webhooks';

@Entity('webhook_events')
export class WebhookEventEntity implements WebhookEvent {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'tenant_id', type: 'varchar', length: 64, nullable: true }) tenantId: string | null;
  @Column({ name: 'webhook_name', type: 'varchar', length: 128 }) webhookName: string;
  /** JSON text, kept byte for byte as published. */
  @Column({ type: 'text' }) data: string;
  @Column({ name: 'send_exact_same_data', type: 'boolean' }) sendExactSameData: boolean;
  @Column({ type: 'jsonb', nullable: true }) headers: Record<string, string> | null;
  @Column({ name: 'use_only_given_headers', type: 'boolean' }) useOnlyGivenHeaders: boolean;
  @Column({ name: 'creation_time', type: 'timestamptz' }) creationTime: Date;
}
