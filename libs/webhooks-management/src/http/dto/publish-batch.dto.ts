import { ForbiddenException, ServiceUnavailableException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import type { PublishWebhookInput, PublishWebhookResult } from '@hookline/webhooks';
import { RequestValidationError } from '../webhooks-api-error';
import { ApiError, isDatabaseUnavailable, toApiError } from '../webhooks-exception.filter';
import { validateAs } from '../webhooks-validation.pipe';
import { PublishWebhookDto, toPublishInput } from './publish-webhook.dto';

/** Most events one batch publish may carry. */
export const MAX_PUBLISH_BATCH_EVENTS = 500;

export class PublishBatchEventDto extends OmitType(PublishWebhookDto, ['tenantIds'] as const) {
  @ApiPropertyOptional({
    description: "Host only: the tenant this event is for. Absent: the request's acting tenant (or the host).",
  })
  @IsOptional()
  @IsString()
  tenantId?: string;

  @ApiPropertyOptional({
    description:
      "This event's idempotency key (as the Idempotency-Key header of a single publish): repeats within 24 h answer the first result.",
  })
  @IsOptional()
  @IsString()
  idempotencyKey?: string;
}

export class PublishBatchDto {
  @ApiProperty({
    type: [PublishBatchEventDto],
    description: `1-${MAX_PUBLISH_BATCH_EVENTS} events, each published on its own: one refused never affects another.`,
  })
  events: PublishBatchEventDto[];
}

export class PublishedBatchEventErrorDto {
  @ApiProperty() code: string;
  @ApiProperty() message: string;
  @ApiProperty({ description: 'The fields at fault, as `events[i].field`.' }) details: { field: string; message: string }[];
}

export class PublishedBatchEventDto {
  @ApiProperty({ description: '202 when stored (or replayed); otherwise the status this event alone would have got.' })
  status: number;
  @ApiPropertyOptional({ format: 'uuid' }) webhookEventId?: string;
  @ApiPropertyOptional({ description: 'True when an earlier publish with the same idempotency key is answered.' })
  replayed?: boolean;
  @ApiPropertyOptional({ type: PublishedBatchEventErrorDto }) error?: PublishedBatchEventErrorDto;
}

export class PublishedBatchDto {
  @ApiProperty({ type: [PublishedBatchEventDto], description: "One per event, in the request's order." })
  items: PublishedBatchEventDto[];
}

/**
 * The events of a batch body, each read on its own by the rules a single publish's body is read by: the
 * publish input, or why it is refused (fields named as in the event; the answer puts them under
 * `events[i]`). The body as a whole (an object whose `events` lists 1-MAX_PUBLISH_BATCH_EVENTS items) is
 * checked first; a body that fails is refused entire. A host acting as the host may set each event's tenant;
 * anyone acting for a tenant publishes for that tenant only. `data` is passed on as read, never copied.
 */
export function readBatchEvents(
  body: unknown,
  actingTenant: string | null,
): Promise<PromiseSettledResult<PublishWebhookInput>[]> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new RequestValidationError([{ field: 'body', message: 'must be a JSON object with an events array' }]);
  }
  const unknown = Object.keys(body).filter((k) => k !== 'events');
  if (unknown.length) {
    throw new RequestValidationError(unknown.map((k) => ({ field: k, message: `property ${k} should not exist` })));
  }
  const { events } = body as { events?: unknown };
  if (!Array.isArray(events) || events.length === 0 || events.length > MAX_PUBLISH_BATCH_EVENTS) {
    throw new RequestValidationError([{ field: 'events', message: `must be an array of 1-${MAX_PUBLISH_BATCH_EVENTS} events` }]);
  }
  return Promise.allSettled(events.map((event, i) => readEvent(event, `events[${i}]`, actingTenant)));
}

async function readEvent(event: unknown, path: string, actingTenant: string | null): Promise<PublishWebhookInput> {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new RequestValidationError([{ field: path, message: 'must be a JSON object' }]);
  }
  const dto = await validateAs(PublishBatchEventDto, event);
  if (dto.tenantId !== undefined && actingTenant !== null) {
    throw new ForbiddenException(`${path}.tenantId: only the host, acting as the host, publishes for other tenants`);
  }
  return toPublishInput(dto, dto.tenantId ?? actingTenant, dto.idempotencyKey);
}

/**
 * The answer to a batch: each event's id or error, in order, with fields named `events[i].field`. When
 * PostgreSQL is unavailable and so nothing was stored, the whole request answers 503 like a single publish.
 */
export function toPublishedBatchDto(outcomes: PromiseSettledResult<PublishWebhookResult>[]): PublishedBatchDto {
  const stored = outcomes.some((o) => o.status === 'fulfilled');
  if (!stored && outcomes.some((o) => o.status === 'rejected' && isDatabaseUnavailable(o.reason))) {
    throw new ServiceUnavailableException('The database is unavailable, so nothing was stored. Retry later.');
  }
  return {
    items: outcomes.map((outcome, i) => {
      if (outcome.status === 'fulfilled') {
        const { webhookEventId, replayed } = outcome.value;
        return { status: 202, webhookEventId, replayed };
      }
      const { status, code, message, details } = toApiError(outcome.reason);
      return { status, error: { code, message, details: details.map((d) => inEvent(d, `events[${i}]`)) } };
    }),
  };
}

/** A detail's field as a path under the event's, unless it already is one. */
const inEvent = (detail: ApiError['details'][number], path: string) =>
  detail.field === path || detail.field.startsWith(`${path}.`) ? detail : { ...detail, field: `${path}.${detail.field}` };
