import { Body, Controller, ForbiddenException, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { WebhookPublisher } from '@hookline/webhooks';
import { RequirePermissions } from '../auth/webhooks-principal';
import { WebhooksPermissions } from '../auth/webhooks-permissions';
import { CurrentTenant } from './current-tenant.decorator';
import { PublishBatchDto, PublishedBatchDto, readBatchEvents, toPublishedBatchDto } from './dto/publish-batch.dto';
import { PublishWebhookDto, toPublishInput, toPublishedDto, toPublishedToTenantsDto } from './dto/publish-webhook.dto';
import { IDEMPOTENCY_KEY_HEADER, IdempotencyKey } from './idempotency-key.decorator';
import { WebhooksApi } from './webhooks-api.decorator';

/** Set on an answer that repeats the first publish with the same Idempotency-Key. */
const REPLAYED_HEADER = 'Idempotent-Replayed';

@ApiTags('Publish')
@Controller('api/webhooks')
@WebhooksApi()
// Publishing is the data path, bounded by its size limits, not by the administration API's rate limit.
@SkipThrottle()
export class WebhookPublishController {
  constructor(private readonly publisher: WebhookPublisher) {}

  /**
   * 202 once the events and their deliveries are stored; 503 when PostgreSQL is unavailable. With
   * `tenantIds` (the host only) one event per tenant, all stored together.
   */
  @Post('publish')
  @RequirePermissions(WebhooksPermissions.Publish)
  @HttpCode(202)
  @ApiHeader({ name: IDEMPOTENCY_KEY_HEADER, required: false, description: 'Repeats within 24 h answer the first result.' })
  async publish(
    @CurrentTenant() tenantId: string | null,
    @Body() dto: PublishWebhookDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    if (dto.tenantIds === undefined) {
      const result = await this.publisher.publish(toPublishInput(dto, tenantId, idempotencyKey));
      if (result.replayed) response.setHeader(REPLAYED_HEADER, 'true');
      return toPublishedDto(result);
    }
    if (tenantId !== null)
      throw new ForbiddenException('tenantIds: only the host, acting as the host, publishes to several tenants');
    const { tenantIds, ...input } = dto;
    const result = await this.publisher.publishToTenants({ ...input, tenantIds, idempotencyKey });
    if (result.replayed) response.setHeader(REPLAYED_HEADER, 'true');
    return toPublishedToTenantsDto(result);
  }

  /**
   * 200 with each event's id or error, in order: every event is published on its own (atomic, with its own
   * idempotency key), so a refused one stores nothing and never affects the others.
   */
  @Post('publish/batch')
  @RequirePermissions(WebhooksPermissions.Publish)
  @HttpCode(200)
  @ApiBody({ type: PublishBatchDto })
  @ApiOkResponse({ type: PublishedBatchDto })
  async publishBatch(@CurrentTenant() tenantId: string | null, @Body() body: unknown): Promise<PublishedBatchDto> {
    // Each event is read on its own by the validation pipe's rules, so one bad event refuses only itself.
    const events = await readBatchEvents(body, tenantId);
    const published = await this.publisher.publishEach(events.flatMap((e) => (e.status === 'fulfilled' ? [e.value] : [])));
    let next = 0;
    return toPublishedBatchDto(events.map((e) => (e.status === 'fulfilled' ? published[next++] : e)));
  }
}
