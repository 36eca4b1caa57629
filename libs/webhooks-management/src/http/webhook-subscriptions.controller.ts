import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { WebhookSubscriptionAppService } from '../application/webhook-subscription.app-service';
import { RequirePermissions } from '../auth/webhooks-principal';
import { WebhooksPermissions } from '../auth/webhooks-permissions';
import { CurrentTenant } from './current-tenant.decorator';
import { CreateWebhookSubscriptionDto, toSubscriptionDto } from './dto/webhook-subscription.dto';
import { ParseId, WebhooksApi } from './webhooks-api.decorator';

@Controller('api/webhooks/subscriptions')
@WebhooksApi()
export class WebhookSubscriptionsController {
  constructor(private readonly subscriptions: WebhookSubscriptionAppService) {}

  /** 201 with the subscription; the only answer that shows the whole secret. */
  @Post()
  @RequirePermissions(WebhooksPermissions.Subscriptions.Create)
  async create(@CurrentTenant() tenantId: string | null, @Body() dto: CreateWebhookSubscriptionDto) {
    return toSubscriptionDto(await this.subscriptions.create(tenantId, dto), true);
  }

  @Get(':id')
  @RequirePermissions(WebhooksPermissions.Subscriptions.Default)
  async get(@CurrentTenant() tenantId: string | null, @Param('id', ParseId()) id: string) {
    return toSubscriptionDto(await this.subscriptions.get(tenantId, id));
  }
}
