import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { WebhookApiKey } from '../../domain/ports/webhook-api-key.store';
import { ALL_WEBHOOKS_PERMISSIONS } from '../../auth/webhooks-permissions';
import { PagedQueryDto } from './paged-query.dto';
import { IsoDateTime } from './query-rules';

export class CreateWebhookApiKeyDto {
  @ApiProperty({ description: 'What the key is for', example: 'billing-service', maxLength: 128 })
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(128)
  name: string;

  @ApiProperty({
    description: 'Permissions the key carries; only ones its creator holds',
    enum: ALL_WEBHOOKS_PERMISSIONS,
    isArray: true,
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(ALL_WEBHOOKS_PERMISSIONS.length)
  @IsIn(ALL_WEBHOOKS_PERMISSIONS, {
    each: true,
    message: `each value in permissions must be one of: ${ALL_WEBHOOKS_PERMISSIONS.join(', ')}`,
  })
  permissions: string[];

  @ApiPropertyOptional({
    description: 'When the key stops working (ISO 8601); omit for never',
    type: String,
    format: 'date-time',
  })
  @IsOptional()
  @IsoDateTime()
  expiresAt?: Date;
}

export class ListWebhookApiKeysQueryDto extends PagedQueryDto {
  @ApiPropertyOptional({ description: 'Include revoked keys', default: false })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  includeRevoked = false;
}

/** A key as the API shows it: never the key or its hash, only its first characters. */
export const toApiKeyDto = (k: WebhookApiKey) => ({
  id: k.id,
  tenantId: k.tenantId,
  name: k.name,
  keyPrefix: k.keyPrefix,
  permissions: k.permissions,
  creationTime: k.creationTime,
  expiresAt: k.expiresAt,
  revokedAt: k.revokedAt,
});
