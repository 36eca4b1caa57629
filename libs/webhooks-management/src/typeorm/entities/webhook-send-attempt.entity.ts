import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { WebhookSendAttempt } from '@hookline/webhooks';

@Entity('webhook_send_attempts')
export class WebhookSendAttemptEntity implements WebhookSendAttempt {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'delivery_id', type: 'uuid' }) deliveryId: string;
  @Column({ name: 'webhook_event_id', type: 'uuid' }) webhookEventId: string;
  @Column({ name: 'webhook_subscription_id', type: 'uuid' }) webhookSubscriptionId: string;
  @Column({ name: 'tenant_id', type: 'varchar', length: 64, nullable: true }) tenantId: string | null;
  @Column({ name: 'attempt_number', type: 'int' }) attemptNumber: number;
  @Column({ type: 'boolean' }) succeeded: boolean;
  @Column({ name: 'response_status_code', type: 'int', nullable: true }) responseStatusCode: number | null;
  @Column({ type: 'text', nullable: true }) response: string | null;
  @Column({ name: 'request_headers', type: 'jsonb' }) requestHeaders: Record<string, string>;
  @Column({ name: 'response_headers', type: 'jsonb', nullable: true }) responseHeaders: Record<string, string> | null;
  @Column({ name: 'duration_ms', type: 'int' }) durationMs: number;
  @Column({ type: 'text', nullable: true }) error: string | null;
  @Column({ name: 'creation_time', type: 'timestamptz' }) creationTime: Date;
  /** The partition key (see history-partitions.ts): queried, never read into the model. */
  @Column({ name: 'event_creation_time', type: 'timestamptz', select: false, insert: false, update: false })
  eventCreationTime?: Date;
}
