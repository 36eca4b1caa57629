import { Controller, Get, Query } from '@nestjs/common';
import { WebhookSendAttemptStore } from '@hookline/webhooks';
import { RequirePermissions } from '../auth/webhooks-principal';
import { WebhooksPermissions } from '../auth/webhooks-permissions';
import { CurrentTenant } from './current-tenant.decorator';
import { ListSendAttemptsQueryDto } from './dto/paged-query.dto';
import { WebhooksApi } from './webhooks-api.decorator';

@Controller('api/webhooks/send-attempts')
@WebhooksApi()
export class WebhookSendAttemptsController {
  constructor(private readonly attempts: WebhookSendAttemptStore) {}

  @Get()
  @RequirePermissions(WebhooksPermissions.SendAttempts.Default)
  list(@CurrentTenant() tenantId: string | null, @Query() query: ListSendAttemptsQueryDto) {
    return this.attempts.list({ tenantId, ...query });
  }
}
