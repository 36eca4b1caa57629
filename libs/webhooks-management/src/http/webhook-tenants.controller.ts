import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IntersectionType } from '@nestjs/swagger';
import { WebhookStatsAppService } from '../application/webhook-stats.app-service';
import { WebhooksPermissions } from '../auth/webhooks-permissions';
import { HostOnly, RequirePermissions } from '../auth/webhooks-principal';
import { PagedQueryDto } from './dto/paged-query.dto';
import { StatsQueryDto } from './dto/webhook-subscription.dto';
import { WebhooksApi } from './webhooks-api.decorator';

class ListTenantsQueryDto extends IntersectionType(PagedQueryDto, StatsQueryDto) {}

/** The host's overview of its tenants (tenants are known by their subscriptions and events). */
@ApiTags('Tenants')
@Controller('api/webhooks/tenants')
@WebhooksApi()
export class WebhookTenantsController {
  constructor(private readonly stats: WebhookStatsAppService) {}

  /** Tenants by id, each with its subscriptions and its events and deliveries of the last `hours`. */
  @Get()
  @HostOnly()
  @RequirePermissions(WebhooksPermissions.Subscriptions.Default, WebhooksPermissions.SendAttempts.Default)
  async list(@Query() query: ListTenantsQueryDto) {
    return { hours: query.hours, ...(await this.stats.tenants(query.hours, query.skipCount, query.maxResultCount)) };
  }
}
