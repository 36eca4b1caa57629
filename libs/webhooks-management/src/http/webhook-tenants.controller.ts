import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiTags, IntersectionType } from '@nestjs/swagger';
import { WebhookDataLifecycleAppService } from '../application/webhook-data-lifecycle.app-service';
import { WebhookStatsAppService } from '../application/webhook-stats.app-service';
import { WebhooksPermissions } from '../auth/webhooks-permissions';
import { HostOnly, RequirePermissions } from '../auth/webhooks-principal';
import { PagedQueryDto } from './dto/paged-query.dto';
import { StatsQueryDto } from './dto/webhook-subscription.dto';
import { ParseTenantId, WebhooksApi } from './webhooks-api.decorator';

class ListTenantsQueryDto extends IntersectionType(PagedQueryDto, StatsQueryDto) {}

/**
 * The host's overview of its tenants (tenants are known by their subscriptions and events), and the erasure of
 * a tenant's data: every row of it, in the background.
 */
@ApiTags('Tenants')
@Controller('api/webhooks/tenants')
@WebhooksApi()
@HostOnly()
export class WebhookTenantsController {
  constructor(
    private readonly stats: WebhookStatsAppService,
    private readonly lifecycle: WebhookDataLifecycleAppService,
  ) {}

  /** Tenants by id, each with its subscriptions and its events and deliveries of the last `hours`. */
  @Get()
  @RequirePermissions(WebhooksPermissions.Subscriptions.Default, WebhooksPermissions.SendAttempts.Default)
  async list(@Query() query: ListTenantsQueryDto) {
    return { hours: query.hours, ...(await this.stats.tenants(query.hours, query.skipCount, query.maxResultCount)) };
  }

  /** Starts erasing every row of the tenant; 202 with where the erasure stands (read it again at …/erasure). */
  @Delete(':tenantId')
  @HttpCode(202)
  @RequirePermissions(WebhooksPermissions.Tenants.Erase)
  erase(@Param('tenantId', ParseTenantId()) tenantId: string) {
    return this.lifecycle.requestErasure(tenantId);
  }

  @Get(':tenantId/erasure')
  @RequirePermissions(WebhooksPermissions.Tenants.Default)
  erasure(@Param('tenantId', ParseTenantId()) tenantId: string) {
    return this.lifecycle.getErasure(tenantId);
  }
}
