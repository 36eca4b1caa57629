import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { type HeaderRedactor, parseJsonText } from '@hookline/webhooks-core';
import type {
  DeliveryState,
  KeysetPosition,
  WebhookDelivery,
  WebhookEventSummary,
  WebhookEventWithDeliveries,
} from '@hookline/webhooks';
import { IsCursor } from './keyset-cursor';
import { PagedQueryDto } from './paged-query.dto';
import { IsoDateTime } from './query-rules';

export const EVENT_SORTINGS = ['creationTime desc', 'creationTime asc'] as const;
const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'succeeded', 'failed', 'abandoned'];

export class ListWebhookEventsQueryDto extends PagedQueryDto {
  @IsCursor()
  cursor?: KeysetPosition;

  @ApiPropertyOptional({ example: 'order.created' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  webhookName?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Events with a delivery to this subscription.' })
  @IsOptional()
  @IsUUID()
  subscriptionId?: string;

  @ApiPropertyOptional({
    enum: DELIVERY_STATES,
    description: 'Events with a delivery in this state (to that subscription, if given).',
  })
  @IsOptional()
  @IsIn(DELIVERY_STATES)
  state?: DeliveryState;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Events created at or after this time.' })
  @IsOptional()
  @IsoDateTime()
  creationTimeFrom?: Date;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Events created at or before this time.' })
  @IsOptional()
  @IsoDateTime()
  creationTimeTo?: Date;

  @ApiPropertyOptional({ enum: EVENT_SORTINGS, default: 'creationTime desc' })
  @IsOptional()
  @IsIn(EVENT_SORTINGS)
  sorting?: (typeof EVENT_SORTINGS)[number];
}

/** An event as a list shows it: no data, the number of its deliveries. */
export const toEventSummaryDto = (e: WebhookEventSummary, redactor: HeaderRedactor) => ({
  id: e.id,
  tenantId: e.tenantId,
  webhookName: e.webhookName,
  sendExactSameData: e.sendExactSameData,
  headers: e.headers === null ? null : redactor.redact(e.headers),
  useOnlyGivenHeaders: e.useOnlyGivenHeaders,
  deliveryCount: e.deliveryCount,
  creationTime: e.creationTime,
  expungedAt: e.expungedAt ?? null,
});

const toDeliveryDto = (d: WebhookDelivery) => ({
  id: d.id,
  subscriptionId: d.webhookSubscriptionId,
  state: d.state,
  attemptCount: d.attemptCount,
  lastAttemptAt: d.lastAttemptAt,
  nextAttemptAt: d.nextAttemptAt,
  creationTime: d.creationTime,
});

/** An event with its data (as published, read so that it is written back exactly: see ExactJson) and its deliveries. */
export const toEventDto = ({ event, deliveries }: WebhookEventWithDeliveries, redactor: HeaderRedactor) => ({
  ...toEventSummaryDto({ ...event, deliveryCount: deliveries.length }, redactor),
  data: parseJsonText(event.data, { field: 'data' }),
  deliveries: deliveries.map(toDeliveryDto),
});
