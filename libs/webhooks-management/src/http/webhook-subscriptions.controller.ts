import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { SUBSCRIPTION_SORT_FIELDS } from '@hookline/webhooks';
import { HeaderRedactor } from '@hookline/webhooks-core';
import { WebhookStatsAppService } from '../application/webhook-stats.app-service';
import { WebhookSubscriptionAppService } from '../application/webhook-subscription.app-service';
import { WebhookSubscriptionDiagnosisAppService } from '../application/webhook-subscription-diagnosis.app-service';
import { RequirePermissions } from '../auth/webhooks-principal';
import { WebhooksPermissions } from '../auth/webhooks-permissions';
import { CurrentTenant } from './current-tenant.decorator';
import { IdListDto } from './dto/id-list.dto';
import { parseSorting } from './dto/query-rules';
import {
  CreateWebhookSubscriptionDto,
  ListWebhookSubscriptionsQueryDto,
  RotateWebhookSecretDto,
  StatsQueryDto,
  UpdateWebhookSubscriptionDto,
  toSubscriptionDto,
} from './dto/webhook-subscription.dto';
import { ParseId, WebhooksApi } from './webhooks-api.decorator';

const { Subscriptions } = WebhooksPermissions;

/** The caller's tenant's subscriptions; another tenant's ids answer 404. */
@ApiTags('Subscriptions')
@Controller('api/webhooks/subscriptions')
@WebhooksApi()
export class WebhookSubscriptionsController {
  constructor(
    private readonly subscriptions: WebhookSubscriptionAppService,
    private readonly stats: WebhookStatsAppService,
    private readonly diagnosis: WebhookSubscriptionDiagnosisAppService,
    private readonly redactor: HeaderRedactor,
  ) {}

  /** 201 with the subscription; the only answer that shows the whole secret. */
  @Post()
  @RequirePermissions(Subscriptions.Create)
  @ApiConflictResponse({ description: 'Another subscription of the tenant sends one of these webhooks to this URI' })
  async create(@CurrentTenant() tenantId: string | null, @Body() dto: CreateWebhookSubscriptionDto) {
    return toSubscriptionDto(await this.subscriptions.create(tenantId, dto), 'reveal');
  }

  @Get()
  @RequirePermissions(Subscriptions.Default)
  async list(@CurrentTenant() tenantId: string | null, @Query() query: ListWebhookSubscriptionsQueryDto) {
    const { sorting, ...filters } = query;
    const { totalCount, items } = await this.subscriptions.list({
      tenantId,
      ...filters,
      sorting: parseSorting(sorting, SUBSCRIPTION_SORT_FIELDS),
    });
    return { totalCount, items: items.map((s) => toSubscriptionDto(s, this.redactor)) };
  }

  /** The definitions the tenant may subscribe to, by group. Declared before the `:id` routes. */
  @Get('availables')
  @RequirePermissions(Subscriptions.Default)
  async availables(@CurrentTenant() tenantId: string | null) {
    return { items: await this.subscriptions.availableGroups(tenantId) };
  }

  /** Deletes those of the ids that are the tenant's subscriptions; the others are ignored. */
  @Post('delete-many')
  @HttpCode(200)
  @RequirePermissions(Subscriptions.Delete)
  async deleteMany(@CurrentTenant() tenantId: string | null, @Body() dto: IdListDto) {
    return this.subscriptions.deleteMany(tenantId, dto.ids);
  }

  @Get(':id')
  @RequirePermissions(Subscriptions.Default)
  @ApiNotFoundResponse()
  async get(@CurrentTenant() tenantId: string | null, @Param('id', ParseId()) id: string) {
    return toSubscriptionDto(await this.subscriptions.get(tenantId, id), this.redactor);
  }

  /** How the endpoint is served now: breaker, recent failure rate, sends in flight, backlog, pause, limits. */
  @Get(':id/health')
  @RequirePermissions(Subscriptions.Default)
  @ApiNotFoundResponse()
  async health(@CurrentTenant() tenantId: string | null, @Param('id', ParseId()) id: string) {
    return this.subscriptions.health(tenantId, id);
  }

  @Put(':id')
  @RequirePermissions(Subscriptions.Update)
  @ApiConflictResponse({ description: 'A stale concurrencyStamp, or a duplicate of another subscription' })
  async update(
    @CurrentTenant() tenantId: string | null,
    @Param('id', ParseId()) id: string,
    @Body() dto: UpdateWebhookSubscriptionDto,
  ) {
    return toSubscriptionDto(await this.subscriptions.update(tenantId, id, dto), this.redactor);
  }

  /** With its deliveries (pending ones are never sent) and their attempts. */
  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions(Subscriptions.Delete)
  async delete(@CurrentTenant() tenantId: string | null, @Param('id', ParseId()) id: string): Promise<void> {
    await this.subscriptions.delete(tenantId, id);
  }

  /** Active again, with the failure count reset and the deactivation cleared. */
  @Post(':id/activate')
  @HttpCode(200)
  @RequirePermissions(Subscriptions.Update)
  async activate(@CurrentTenant() tenantId: string | null, @Param('id', ParseId()) id: string) {
    return toSubscriptionDto(await this.subscriptions.activate(tenantId, id), this.redactor);
  }

  /** Stops sending; pending deliveries are abandoned. Reason: "manual". */
  @Post(':id/deactivate')
  @HttpCode(200)
  @RequirePermissions(Subscriptions.Update)
  async deactivate(@CurrentTenant() tenantId: string | null, @Param('id', ParseId()) id: string) {
    return toSubscriptionDto(await this.subscriptions.deactivate(tenantId, id), this.redactor);
  }

  /** The signing secret, and the one a rotation replaced while it still signs. */
  @Post(':id/reveal-secret')
  @HttpCode(200)
  @RequirePermissions(Subscriptions.Update)
  async revealSecret(@CurrentTenant() tenantId: string | null, @Param('id', ParseId()) id: string) {
    return this.subscriptions.revealSecret(tenantId, id);
  }

  /** A new secret signs at once; the old one keeps signing beside it for `overlapSeconds`. */
  @Post(':id/rotate-secret')
  @HttpCode(200)
  @RequirePermissions(Subscriptions.Update)
  async rotateSecret(
    @CurrentTenant() tenantId: string | null,
    @Param('id', ParseId()) id: string,
    @Body() dto: RotateWebhookSecretDto,
  ) {
    return this.subscriptions.rotateSecret(tenantId, id, dto);
  }

  /** Delivery figures of this subscription over the last `hours`, computed in one SQL query. */
  @Get(':id/stats')
  @RequirePermissions(Subscriptions.Default)
  async subscriptionStats(
    @CurrentTenant() tenantId: string | null,
    @Param('id', ParseId()) id: string,
    @Query() query: StatsQueryDto,
  ) {
    return this.stats.subscriptionStats(tenantId, id, query.hours);
  }

  /** Attempts per hour (per six hours beyond two days) over the last `hours`: count, successes, p50 and p95 latency. */
  @Get(':id/timeline')
  @RequirePermissions(Subscriptions.Default)
  async subscriptionTimeline(
    @CurrentTenant() tenantId: string | null,
    @Param('id', ParseId()) id: string,
    @Query() query: StatsQueryDto,
  ) {
    return this.stats.subscriptionTimeline(tenantId, id, query.hours);
  }

  /** Reachability (a connect, no POST), the last 24 h of attempts, the failure run and plain advice. */
  @Get(':id/diagnose')
  @RequirePermissions(Subscriptions.Default)
  async diagnose(@CurrentTenant() tenantId: string | null, @Param('id', ParseId()) id: string) {
    return this.diagnosis.diagnose(tenantId, id);
  }
}
