import { Controller, Get } from '@nestjs/common';
import { WebhookDefinitionManager } from '@hookline/webhooks-core';
import { RequirePermissions } from '../auth/webhooks-principal';
import { WebhooksPermissions } from '../auth/webhooks-permissions';
import { CurrentTenant } from './current-tenant.decorator';
import { WebhooksApi } from './webhooks-api.decorator';

@Controller('api/webhooks/definitions')
@WebhooksApi()
export class WebhookDefinitionsController {
  constructor(private readonly definitions: WebhookDefinitionManager) {}

  /** The definitions the caller's tenant may subscribe to. */
  @Get()
  @RequirePermissions(WebhooksPermissions.Definitions.Default)
  async list(@CurrentTenant() tenantId: string | null) {
    const items = await this.definitions.getAvailable(tenantId);
    return { totalCount: items.length, items };
  }
}
