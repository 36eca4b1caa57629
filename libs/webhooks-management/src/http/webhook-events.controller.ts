import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HeaderRedactor, WebhookNotFoundError } from '@hookline/webhooks-core';
import { WebhookEventStore } from '@hookline/webhooks';
import { WebhookDataLifecycleAppService } from '../application/webhook-data-lifecycle.app-service';
import { RequirePermissions } from '../auth/webhooks-principal';
import { WebhooksPermissions } from '../auth/webhooks-permissions';
import { CurrentTenant } from './current-tenant.decorator';
import { ExactJson } from './exact-json';
import { encodeCursor } from './dto/keyset-cursor';
import { ListWebhookEventsQueryDto, toEventDto, toEventSummaryDto } from './dto/webhook-event.dto';
import { ParseId, WebhooksApi } from './webhooks-api.decorator';

/** The caller tenant's published events and where their deliveries stand. */
@ApiTags('Events')
@Controller('api/webhooks/events')
@WebhooksApi()
export class WebhookEventsController {
  constructor(
    private readonly events: WebhookEventStore,
    private readonly redactor: HeaderRedactor,
    private readonly lifecycle: WebhookDataLifecycleAppService,
  ) {}

  @Get()
  @RequirePermissions(WebhooksPermissions.SendAttempts.Default)
  async list(@CurrentTenant() tenantId: string | null, @Query() query: ListWebhookEventsQueryDto) {
    const { sorting, cursor, ...filters } = query;
    const order = sorting === 'creationTime asc' ? 'asc' : 'desc';
    const page = await this.events.list({ tenantId, ...filters, after: cursor, order });
    const items = page.items.map((e) => toEventSummaryDto(e, this.redactor));
    return { totalCount: page.totalCount, items, nextCursor: encodeCursor(page.next) };
  }

  @Get(':id')
  @RequirePermissions(WebhooksPermissions.SendAttempts.Default)
  @ExactJson()
  async get(@CurrentTenant() tenantId: string | null, @Param('id', ParseId()) id: string) {
    const found = await this.events.findWithDeliveries(tenantId, id);
    if (!found) throw new WebhookNotFoundError('Webhook event', id);
    return toEventDto(found, this.redactor);
  }

  /**
   * Erases the event's payload and publish headers, and its attempts' stored request headers, response bodies
   * and response headers; the rest stays. Its pending deliveries are abandoned, never sent.
   */
  @Post(':id/expunge')
  @HttpCode(200)
  @RequirePermissions(WebhooksPermissions.SendAttempts.Expunge)
  expunge(@CurrentTenant() tenantId: string | null, @Param('id', ParseId()) id: string) {
    return this.lifecycle.expungeEvent(tenantId, id);
  }
}
