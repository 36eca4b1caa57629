import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DeliveryState, WebhookDelivery } from '@hookline/webhooks';

@Entity('webhook_deliveries')
export class WebhookDeliveryEntity implements WebhookDelivery {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'webhook_event_id', type: 'uuid' }) webhookEventId: string;
  @Column({ name: 'webhook_subscription_id', type: 'uuid' }) webhookSubscriptionId: string;
  @Column({ name: 'tenant_id', type: 'varchar', length: 64, nullable: true }) tenantId: string | null;
  @Column({ type: 'varchar', length: 16 }) state: DeliveryState;
  @Column({ name: 'attempt_count', type: 'int' }) attemptCount: number;
  @Column({ name: 'attempt_base', type: 'int', default: 0 }) attemptBase: number;
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true }) nextAttemptAt: Date | null;
  @Column({ name: 'last_attempt_at', type: 'timestamptz', nullable: true }) lastAttemptAt: Date | null;
  @Column({ name: 'creation_time', type: 'timestamptz' }) creationTime: Date;
}
