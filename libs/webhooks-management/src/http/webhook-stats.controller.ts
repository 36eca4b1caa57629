import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { WebhookStatsAppService } from '../application/webhook-stats.app-service';
import { RequirePermissions } from '../auth/webhooks-principal';
import { WebhooksPermissions } from '../auth/webhooks-permissions';
import { CurrentTenant } from './current-tenant.decorator';
import { StatsQueryDto } from './dto/webhook-subscription.dto';
import { WebhooksApi } from './webhooks-api.decorator';

@ApiTags('Stats')
@Controller('api/webhooks/stats')
@WebhooksApi()
export class WebhookStatsController {
  constructor(private readonly stats: WebhookStatsAppService) {}

  /** The tenant's events, deliveries and attempts over the last `hours`, computed in one SQL query. */
  @Get()
  @RequirePermissions(WebhooksPermissions.SendAttempts.Default)
  async tenantStats(@CurrentTenant() tenantId: string | null, @Query() query: StatsQueryDto) {
    return this.stats.tenantStats(tenantId, query.hours);
  }
}
