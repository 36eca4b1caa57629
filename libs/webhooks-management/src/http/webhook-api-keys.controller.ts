import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { WebhookApiKeyService } from '../auth/api-keys/webhook-api-key.service';
import { WebhooksPermissions } from '../auth/webhooks-permissions';
import { CurrentPrincipal, RequirePermissions, WebhooksPrincipal } from '../auth/webhooks-principal';
import { CurrentTenant } from './current-tenant.decorator';
import { CreateWebhookApiKeyDto, ListWebhookApiKeysQueryDto, toApiKeyDto } from './dto/webhook-api-key.dto';
import { ParseId, WebhooksApi } from './webhooks-api.decorator';

/** API keys of the acting tenant: the host creates a tenant's keys by acting for it with `__tenant`. */
@ApiTags('API keys')
@Controller('api/webhooks/api-keys')
@WebhooksApi()
@RequirePermissions(WebhooksPermissions.ApiKeys)
export class WebhookApiKeysController {
  constructor(private readonly apiKeys: WebhookApiKeyService) {}

  /** 201 with the key itself: the only answer that ever shows it. */
  @Post()
  async create(@CurrentPrincipal() caller: WebhooksPrincipal, @Body() dto: CreateWebhookApiKeyDto) {
    const { apiKey, key } = await this.apiKeys.create(caller, dto);
    return { ...toApiKeyDto(apiKey), key };
  }

  @Get()
  async list(@CurrentTenant() tenantId: string | null, @Query() query: ListWebhookApiKeysQueryDto) {
    const { totalCount, items } = await this.apiKeys.list({ tenantId, ...query });
    return { totalCount, items: items.map(toApiKeyDto) };
  }

  @Get(':id')
  async get(@CurrentTenant() tenantId: string | null, @Param('id', ParseId()) id: string) {
    return toApiKeyDto(await this.apiKeys.get(tenantId, id));
  }

  /** Revokes the key: 401 from then on in this process, in every other within the API key cache's lifetime. */
  @Delete(':id')
  @HttpCode(204)
  async revoke(@CurrentTenant() tenantId: string | null, @Param('id', ParseId()) id: string): Promise<void> {
    await this.apiKeys.revoke(tenantId, id);
  }
}
