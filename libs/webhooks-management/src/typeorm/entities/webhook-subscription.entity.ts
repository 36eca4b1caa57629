import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { PayloadFilter } from '@hookline/webhooks-core';
import type { WebhookSubscription } from '@hookline/webhooks';
import type { SignatureScheme } from '@hookline/webhooks-core';

@Entity('webhook_subscriptions')
export class WebhookSubscriptionEntity implements WebhookSubscription {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'tenant_id', type: 'varchar', length: 64, nullable: true }) tenantId: string | null;
  @Column({ name: 'webhook_uri', type: 'varchar', length: 2048 }) webhookUri: string;
  /** Encrypted when a key is configured (SecretCipher); the stores hand it out decrypted. */
  @Column({ type: 'text' }) secret: string;
  @Column({ name: 'previous_secret', type: 'text', nullable: true }) previousSecret: string | null;
  @Column({ name: 'signature_scheme', type: 'varchar', length: 16 }) signatureScheme: SignatureScheme;
  @Column({ name: 'previous_secret_expires_at', type: 'timestamptz', nullable: true }) previousSecretExpiresAt: Date | null;
  @Column({ type: 'text', array: true }) webhooks: string[];
  @Column({ type: 'json', nullable: true }) filter: PayloadFilter | null;
  @Column({ type: 'jsonb' }) headers: Record<string, string>;
  @Column({ name: 'is_active', type: 'boolean' }) isActive: boolean;
  @Column({ name: 'timeout_duration', type: 'int', nullable: true }) timeoutDuration: number | null;
  @Column({ name: 'max_send_attempt_count', type: 'int', nullable: true }) maxSendAttemptCount: number | null;
  @Column({ type: 'varchar', length: 1024, nullable: true }) description: string | null;
  @Column({ name: 'max_concurrent_sends', type: 'int', nullable: true }) maxConcurrentSends: number | null;
  @Column({ name: 'rate_limit_per_second', type: 'double precision', nullable: true }) rateLimitPerSecond: number | null;
  @Column({ name: 'consecutive_failure_count', type: 'int' }) consecutiveFailureCount: number;
  @Column({ name: 'deactivated_at', type: 'timestamptz', nullable: true }) deactivatedAt: Date | null;
  @Column({ name: 'deactivation_reason', type: 'text', nullable: true }) deactivationReason: string | null;
  @Column({ name: 'creation_time', type: 'timestamptz' }) creationTime: Date;
  @Column({ name: 'concurrency_stamp', type: 'varchar', length: 40 }) concurrencyStamp: string;
}
