import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { KeysetPosition, SEND_ATTEMPT_SORT_FIELDS, WebhookSendAttempt } from '@hookline/webhooks';
import { IsCursor } from './keyset-cursor';
import { PagedQueryDto } from './paged-query.dto';
import { IsSorting, IsoDateTime } from './query-rules';

export class ListSendAttemptsQueryDto extends PagedQueryDto {
  @IsCursor()
  cursor?: KeysetPosition;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  webhookEventId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  subscriptionId?: string;

  @ApiPropertyOptional({ enum: ['success', 'failed'], description: 'success: the receiver answered 2xx' })
  @IsOptional()
  @IsIn(['success', 'failed'])
  state?: 'success' | 'failed';

  @ApiPropertyOptional({ minimum: 100, maximum: 599 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(599)
  responseStatusCode?: number;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Inclusive' })
  @IsOptional()
  @IsoDateTime()
  creationTimeFrom?: Date;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Inclusive' })
  @IsOptional()
  @IsoDateTime()
  creationTimeTo?: Date;

  @ApiPropertyOptional({ maxLength: 256, description: "Text in the receiver's response (case-insensitive)" })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  responseContains?: string;

  @ApiPropertyOptional({ example: 'creationTime desc', description: `${SEND_ATTEMPT_SORT_FIELDS.join(', ')}; asc or desc` })
  @IsOptional()
  @IsSorting(SEND_ATTEMPT_SORT_FIELDS)
  sorting?: string;
}

export class ReplayDto {
  @ApiProperty({ type: String, format: 'date-time', description: 'Events created at or after this time' })
  @IsoDateTime()
  since: Date;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Events created before this time; default now' })
  @IsOptional()
  @IsoDateTime()
  until?: Date;

  @ApiPropertyOptional({ default: false, description: 'Only deliveries that ended failed or abandoned' })
  @IsOptional()
  @IsBoolean()
  onlyFailed?: boolean;
}

/** One attempt as the API shows it (request credentials were redacted when it was recorded). */
export class SendAttemptDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) deliveryId: string;
  @ApiProperty({ format: 'uuid' }) webhookEventId: string;
  @ApiProperty({ format: 'uuid' }) webhookSubscriptionId: string;
  @ApiProperty({ type: String, nullable: true }) tenantId: string | null;
  @ApiProperty() attemptNumber: number;
  @ApiProperty() succeeded: boolean;
  @ApiProperty({ type: Number, nullable: true }) responseStatusCode: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'The start of the response body (20 KB)' })
  response: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) requestHeaders: Record<string, string>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, nullable: true })
  responseHeaders: Record<string, string> | null;
  @ApiProperty() durationMs: number;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
  @ApiProperty() creationTime: Date;
}

export const toSendAttemptDto = (a: WebhookSendAttempt): SendAttemptDto => ({
  id: a.id,
  deliveryId: a.deliveryId,
  webhookEventId: a.webhookEventId,
  webhookSubscriptionId: a.webhookSubscriptionId,
  tenantId: a.tenantId,
  attemptNumber: a.attemptNumber,
  succeeded: a.succeeded,
  responseStatusCode: a.responseStatusCode,
  response: a.response,
  requestHeaders: a.requestHeaders,
  responseHeaders: a.responseHeaders,
  durationMs: a.durationMs,
  error: a.error,
  creationTime: a.creationTime,
});

export class SendAttemptListDto {
  @ApiProperty() totalCount: number;
  @ApiProperty({ type: [SendAttemptDto] }) items: SendAttemptDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Give it as cursor for the next page (sorted by creation time only); null on the last page.',
  })
  nextCursor: string | null;
}

export class QueuedCountDto {
  @ApiProperty({ description: 'Deliveries reopened and queued (those of inactive subscriptions are not)' })
  queuedCount: number;
}

export class DeletedCountDto {
  @ApiProperty({ description: "Rows deleted (another tenant's ids are ignored)" })
  deletedCount: number;
}

/** The answer to a test send. */
export class TestSendResultDto {
  @ApiProperty() succeeded: boolean;
  @ApiProperty({ type: Number, nullable: true }) statusCode: number | null;
  @ApiProperty() durationMs: number;
  @ApiProperty({ type: String, nullable: true, description: 'The first KB of the response body' }) response: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why no usable answer came' }) error: string | null;
  @ApiProperty({ format: 'uuid' }) webhookEventId: string;
  @ApiProperty({ format: 'uuid' }) deliveryId: string;
  @ApiProperty({ format: 'uuid' }) sendAttemptId: string;
}
