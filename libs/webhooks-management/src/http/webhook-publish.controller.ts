import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { WebhookPublisher } from '@hookline/webhooks';
import { RequirePermissions } from '../auth/webhooks-principal';
import { WebhooksPermissions } from '../auth/webhooks-permissions';
import { CurrentTenant } from './current-tenant.decorator';
import { PublishWebhookDto } from './dto/publish-webhook.dto';
import { WebhooksApi } from './webhooks-api.decorator';

@Controller('api/webhooks')
@WebhooksApi()
export class WebhookPublishController {
  constructor(private readonly publisher: WebhookPublisher) {}

  /** 202 once the event and its deliveries are stored; 503 when PostgreSQL is unavailable. */
  @Post('publish')
  @RequirePermissions(WebhooksPermissions.Publish)
  @HttpCode(202)
  async publish(@CurrentTenant() tenantId: string | null, @Body() dto: PublishWebhookDto) {
    const { webhookEventId } = await this.publisher.publish({ ...dto, tenantId });
    return { webhookEventId };
  }
}
