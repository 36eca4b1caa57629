import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import {
  HeaderRedactor,
  MAX_CUSTOM_HEADERS,
  MAX_SECRET_ROTATION_OVERLAP_SECONDS,
  PayloadFilter,
  SIGNATURE_SCHEMES,
  SignatureScheme,
} from '@hookline/webhooks-core';
import { SUBSCRIPTION_SORT_FIELDS, WebhookSubscription } from '@hookline/webhooks';
import { IsJsonObject } from '../webhooks-validation.pipe';
import { subscriptionSigningKeys } from '../../application/webhook-subscription.app-service';
import { PagedQueryDto } from './paged-query.dto';
import { IsSorting, IsoDateTime } from './query-rules';

export const MAX_WEBHOOK_NAMES_PER_SUBSCRIPTION = 100;
const MAX_WEBHOOK_URI_LENGTH = 2048;

/** A signing secret chosen by the caller (create, rotate). */
const IsWebhookSecret = () =>
  applyDecorators(
    ApiPropertyOptional({
      description:
        'Signing secret, 16–256 printable ASCII characters; omit to have one generated (`whsec_` + 32 random bytes). ' +
        'With signatureScheme ed25519: an Ed25519 signing key `whsk_` + base64 of 32 or 64 bytes, or omitted (generated)',
      minLength: 16,
      maxLength: 256,
    }),
    IsOptional(),
    IsString(),
    MinLength(16),
    MaxLength(256),
    Matches(/^[\x21-\x7e]+$/, { message: 'secret must be printable ASCII without spaces' }),
  );

export class CreateWebhookSubscriptionDto {
  @ApiProperty({ description: 'Absolute http(s) URL the deliveries are POSTed to', maxLength: MAX_WEBHOOK_URI_LENGTH })
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false, allow_underscores: true },
    { message: 'webhookUri must be an absolute http or https URL' },
  )
  @MaxLength(MAX_WEBHOOK_URI_LENGTH)
  webhookUri: string;

  @ApiProperty({
    description: 'Webhook names, `*` or prefix wildcards such as `order.*`',
    type: [String],
    minItems: 1,
    maxItems: MAX_WEBHOOK_NAMES_PER_SUBSCRIPTION,
    example: ['order.created'],
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MAX_WEBHOOK_NAMES_PER_SUBSCRIPTION)
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  webhooks: string[];

  @ApiPropertyOptional({
    description:
      'Deliver only events whose `data` passes this filter: `{ "path": value }` (equality), operators `$eq`, `$in`, ' +
      '`$exists`, `$gt`, `$gte`, `$lt`, `$lte` on dotted paths, and `$and`, `$or`, `$not`. Numbers in it lie within ' +
      '±9007199254740991 (2^53 - 1). Omit for every event.',
    type: 'object',
    additionalProperties: true,
    example: { 'customer.country': { $in: ['GB', 'IE'] }, total: { $gte: 10000 } },
  })
  @IsOptional()
  @IsJsonObject()
  filter?: PayloadFilter;

  @IsWebhookSecret()
  secret?: string;

  @ApiPropertyOptional({
    description:
      'hmac-sha256: signed with the shared secret (Standard Webhooks `v1,` and `abp-webhook-signature`). ' +
      'ed25519: signed with a private key (Standard Webhooks `v1a,`); receivers verify with `publicKey`. Fixed at creation',
    enum: SIGNATURE_SCHEMES,
    default: 'hmac-sha256',
  })
  @IsOptional()
  @IsIn(SIGNATURE_SCHEMES)
  signatureScheme?: SignatureScheme;

  @ApiPropertyOptional({
    description: `Custom headers sent on every attempt (at most ${MAX_CUSTOM_HEADERS}, no CR/LF, none the service sets)`,
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @IsOptional()
  @IsJsonObject()
  headers?: Record<string, string>;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  isActive?: boolean;

  @ApiPropertyOptional({ maxLength: 1024 })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  description?: string;

  @ApiPropertyOptional({
    description: 'HTTP timeout of one attempt, seconds; default from configuration',
    minimum: 1,
    maximum: 300,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(300)
  timeoutDuration?: number;

  @ApiPropertyOptional({ description: 'Attempts per delivery; default from configuration', minimum: 1, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  maxSendAttemptCount?: number;

  @ApiPropertyOptional({
    description: 'Sends in flight at once to this endpoint, all workers together; default from configuration',
    minimum: 1,
    maximum: 1000,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxConcurrentSends?: number;

  @ApiPropertyOptional({
    description: 'Sends per second to this endpoint, all workers together (held back, never dropped); default: no limit',
    minimum: 0.1,
    maximum: 10000,
  })
  @IsOptional()
  @IsNumber()
  @Min(0.1)
  @Max(10000)
  rateLimitPerSecond?: number;
}

/**
 * A whole new set of settings: omitted optional fields go back to their defaults. The secret changes through
 * rotate-secret, activity through activate and deactivate.
 */
export class UpdateWebhookSubscriptionDto extends OmitType(CreateWebhookSubscriptionDto, [
  'secret',
  'isActive',
  'signatureScheme',
] as const) {
  @ApiProperty({ description: 'The concurrencyStamp of the state this change was made from (from a get or list)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  concurrencyStamp: string;
}

const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class ListWebhookSubscriptionsQueryDto extends PagedQueryDto {
  @ApiPropertyOptional({ description: 'Text in the URI (case-insensitive)', maxLength: MAX_WEBHOOK_URI_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_WEBHOOK_URI_LENGTH)
  webhookUri?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'isActive must be true or false' })
  isActive?: boolean;

  @ApiPropertyOptional({
    description: 'Subscriptions listing this webhook name (or pattern) among their webhooks',
    maxLength: 128,
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  webhookName?: string;

  @ApiPropertyOptional({ description: 'Created at or after (ISO 8601)', type: String, format: 'date-time' })
  @IsOptional()
  @IsoDateTime()
  creationTimeFrom?: Date;

  @ApiPropertyOptional({ description: 'Created at or before (ISO 8601)', type: String, format: 'date-time' })
  @IsOptional()
  @IsoDateTime()
  creationTimeTo?: Date;

  @ApiPropertyOptional({
    description: `One of ${SUBSCRIPTION_SORT_FIELDS.join(', ')}, optionally followed by asc or desc; default creationTime desc`,
    example: 'creationTime desc',
  })
  @IsOptional()
  @IsSorting(SUBSCRIPTION_SORT_FIELDS)
  sorting?: string;
}

export class RotateWebhookSecretDto {
  @IsWebhookSecret()
  secret?: string;

  @ApiPropertyOptional({
    description: 'How long the old secret keeps signing beside the new one, seconds (0: not at all); default from configuration',
    minimum: 0,
    maximum: MAX_SECRET_ROTATION_OVERLAP_SECONDS,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_SECRET_ROTATION_OVERLAP_SECONDS)
  overlapSeconds?: number;
}

export const MAX_STATS_HOURS = 720;

export class StatsQueryDto {
  @ApiPropertyOptional({ description: 'The window: the last this many hours', minimum: 1, maximum: MAX_STATS_HOURS, default: 24 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_STATS_HOURS)
  hours = 24;
}

/**
 * A subscription as the API shows it. The secret, and credentials among the custom headers, in full only in
 * the answer to its creation (`'reveal'`); otherwise masked and redacted.
 */
export function toSubscriptionDto(s: WebhookSubscription, redactor: HeaderRedactor | 'reveal') {
  const revealSecrets = redactor === 'reveal';
  return {
    id: s.id,
    tenantId: s.tenantId,
    webhookUri: s.webhookUri,
    secret: revealSecrets ? s.secret : maskSecret(s.secret),
    signatureScheme: s.signatureScheme,
    ...subscriptionSigningKeys(s, new Date()),
    webhooks: s.webhooks,
    filter: s.filter,
    headers: revealSecrets ? s.headers : redactor.redact(s.headers),
    isActive: s.isActive,
    timeoutDuration: s.timeoutDuration,
    maxSendAttemptCount: s.maxSendAttemptCount,
    maxConcurrentSends: s.maxConcurrentSends,
    rateLimitPerSecond: s.rateLimitPerSecond,
    description: s.description,
    consecutiveFailureCount: s.consecutiveFailureCount,
    deactivatedAt: s.deactivatedAt,
    deactivationReason: s.deactivationReason,
    creationTime: s.creationTime,
    concurrencyStamp: s.concurrencyStamp,
  };
}

/** Only the scheme prefix of a secret shows: any of its own characters would narrow a guess. */
const maskSecret = (secret: string): string => (secret.startsWith('whsec_') ? 'whsec_…' : '…');
