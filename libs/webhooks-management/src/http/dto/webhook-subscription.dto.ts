import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { redactHeaders } from '@hookline/webhooks-core';
import type { WebhookSubscription } from '@hookline/webhooks';

export const MAX_WEBHOOK_NAMES_PER_SUBSCRIPTION = 100;

export class CreateWebhookSubscriptionDto {
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false, allow_underscores: true },
    { message: 'webhookUri must be an absolute http or https URL' },
  )
  @MaxLength(2048)
  webhookUri: string;

  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MAX_WEBHOOK_NAMES_PER_SUBSCRIPTION)
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  webhooks: string[];

  /** Omit to have one generated (`whsec_` + 32 random bytes, base64). */
  @IsOptional()
  @IsString()
  @MinLength(16)
  @MaxLength(256)
  @Matches(/^[\x21-\x7e]+$/, { message: 'secret must be printable ASCII without spaces' })
  secret?: string;

  @IsOptional()
  @IsObject()
  headers?: Record<string, string>;

  @IsOptional()
  @IsBoolean()
  isActive?: boolean;

  @IsOptional()
  @IsString()
  @MaxLength(1024)
  description?: string;

  /** Seconds. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(300)
  timeoutDuration?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  maxSendAttemptCount?: number;
}

/**
 * A subscription as the API shows it. The secret, and credentials among the custom headers, in full only in
 * the answer to its creation.
 */
export function toSubscriptionDto(s: WebhookSubscription, revealSecrets = false) {
  return {
    id: s.id,
    tenantId: s.tenantId,
    webhookUri: s.webhookUri,
    secret: revealSecrets ? s.secret : maskSecret(s.secret),
    webhooks: s.webhooks,
    headers: revealSecrets ? s.headers : redactHeaders(s.headers),
    isActive: s.isActive,
    timeoutDuration: s.timeoutDuration,
    maxSendAttemptCount: s.maxSendAttemptCount,
    description: s.description,
    consecutiveFailureCount: s.consecutiveFailureCount,
    deactivatedAt: s.deactivatedAt,
    deactivationReason: s.deactivationReason,
    creationTime: s.creationTime,
    concurrencyStamp: s.concurrencyStamp,
  };
}

function maskSecret(secret: string): string {
  const prefix = secret.startsWith('whsec_') ? 'whsec_' : '';
  return `${prefix}****${secret.slice(-4)}`;
}
