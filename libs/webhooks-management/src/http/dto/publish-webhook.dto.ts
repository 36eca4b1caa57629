import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsBoolean, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsJsonObject } from '../webhooks-validation.pipe';
import { MAX_PUBLISH_TENANTS, PublishToTenantsResult, PublishWebhookInput, PublishWebhookResult } from '@hookline/webhooks';

export class PublishWebhookDto {
  @ApiProperty({ example: 'order.created', maxLength: 128 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  webhookName: string;

  @ApiProperty({ description: 'The event data: a JSON object, at most WEBHOOKS_MAX_EVENT_DATA_BYTES of JSON (413 past it).' })
  @IsJsonObject()
  data: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Send `data` as the whole body instead of the envelope.' })
  @IsOptional()
  @IsBoolean()
  sendExactSameData?: boolean;

  @ApiPropertyOptional({ description: "Added to each subscription's headers (or replacing them with useOnlyGivenHeaders)." })
  @IsOptional()
  @IsJsonObject()
  headers?: Record<string, string>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  useOnlyGivenHeaders?: boolean;

  @ApiPropertyOptional({
    description: `Host only: publish one event for each of these tenants (at most ${MAX_PUBLISH_TENANTS}).`,
    type: [String],
  })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MAX_PUBLISH_TENANTS)
  @IsString({ each: true })
  tenantIds?: string[];
}

export class PublishedWebhookDto {
  @ApiProperty({ format: 'uuid' }) webhookEventId: string;
}

export class PublishedTenantEventDto {
  @ApiProperty() tenantId: string;
  @ApiProperty({ format: 'uuid' }) webhookEventId: string;
}

export class PublishedToTenantsDto {
  @ApiProperty({ type: [PublishedTenantEventDto] }) items: PublishedTenantEventDto[];
}

/**
 * A publish for one tenant, its fields copied one by one into an object literal of one shape, which V8 gives
 * one hidden class. A spread copy given more fields (`{ ...dto, tenantId }`) gets new hidden classes on every
 * request, made in the old generation, which then fills with them.
 */
export const toPublishInput = (
  dto: Omit<PublishWebhookDto, 'tenantIds'>,
  tenantId: string | null,
  idempotencyKey: string | undefined,
): PublishWebhookInput => ({
  webhookName: dto.webhookName,
  data: dto.data,
  sendExactSameData: dto.sendExactSameData,
  headers: dto.headers,
  useOnlyGivenHeaders: dto.useOnlyGivenHeaders,
  tenantId,
  idempotencyKey,
});

export const toPublishedDto = (r: PublishWebhookResult): PublishedWebhookDto => ({ webhookEventId: r.webhookEventId });

export const toPublishedToTenantsDto = (r: PublishToTenantsResult): PublishedToTenantsDto => ({
  items: r.events.map((e) => ({ tenantId: e.tenantId!, webhookEventId: e.webhookEventId })),
});
