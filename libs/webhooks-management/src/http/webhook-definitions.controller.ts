import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { WebhookDefinitionAppService } from '../application/webhook-definition.app-service';
import { HostOnly, RequirePermissions } from '../auth/webhooks-principal';
import { WebhooksPermissions } from '../auth/webhooks-permissions';
import { CurrentTenant } from './current-tenant.decorator';
import {
  CreateWebhookDefinitionDto,
  CreateWebhookGroupDto,
  UpdateWebhookDefinitionDto,
  UpdateWebhookGroupDto,
  toDefinitionDto,
  toGroupDto,
} from './dto/webhook-definition.dto';
import { ParseName, WebhooksApi } from './webhooks-api.decorator';

const Manage = () => RequirePermissions(WebhooksPermissions.Definitions.Manage);

/**
 * What can be subscribed to, and (the host only) the groups and definitions stored in the database. Those
 * from code or the definitions file answer 409 to a change.
 */
@ApiTags('Definitions')
@Controller('api/webhooks/definitions')
@WebhooksApi()
export class WebhookDefinitionsController {
  constructor(private readonly definitions: WebhookDefinitionAppService) {}

  /** The definitions the caller's tenant may subscribe to. */
  @Get()
  @RequirePermissions(WebhooksPermissions.Definitions.Default)
  async list(@CurrentTenant() tenantId: string | null) {
    const items = (await this.definitions.listAvailable(tenantId)).map(toDefinitionDto);
    return { totalCount: items.length, items };
  }

  /** Groups with their definitions: every one for the host, those available to it for a tenant. */
  @Get('groups')
  @RequirePermissions(WebhooksPermissions.Definitions.Default)
  async listGroups(@CurrentTenant() tenantId: string | null) {
    const items = (await this.definitions.listGroups(tenantId)).map(toGroupDto);
    return { totalCount: items.length, items };
  }

  @Post('groups')
  @HostOnly()
  @Manage()
  async createGroup(@Body() { name, ...input }: CreateWebhookGroupDto) {
    return toGroupDto(await this.definitions.createGroup(name, input));
  }

  @Put('groups/:name')
  @HostOnly()
  @Manage()
  async updateGroup(@Param('name', ParseName()) name: string, @Body() input: UpdateWebhookGroupDto) {
    return toGroupDto(await this.definitions.updateGroup(name, input));
  }

  @Delete('groups/:name')
  @HostOnly()
  @Manage()
  @HttpCode(204)
  async deleteGroup(@Param('name', ParseName()) name: string): Promise<void> {
    await this.definitions.deleteGroup(name);
  }

  @Post()
  @HostOnly()
  @Manage()
  async create(@Body() { name, ...input }: CreateWebhookDefinitionDto) {
    return toDefinitionDto(await this.definitions.createDefinition(name, input));
  }

  @Put(':name')
  @HostOnly()
  @Manage()
  async update(@Param('name', ParseName()) name: string, @Body() input: UpdateWebhookDefinitionDto) {
    return toDefinitionDto(await this.definitions.updateDefinition(name, input));
  }

  @Delete(':name')
  @HostOnly()
  @Manage()
  @HttpCode(204)
  async delete(@Param('name', ParseName()) name: string): Promise<void> {
    await this.definitions.deleteDefinition(name);
  }
}

/** The catalog as an AsyncAPI document, for tools that read one (code generators, documentation sites). */
@ApiTags('Definitions')
@Controller('api/webhooks')
@WebhooksApi()
export class WebhookCatalogController {
  constructor(private readonly definitions: WebhookDefinitionAppService) {}

  /** AsyncAPI 3.0: the webhooks available to the caller's tenant, each with the schema of its data. */
  @Get('asyncapi.json')
  @RequirePermissions(WebhooksPermissions.Definitions.Default)
  async asyncApi(@CurrentTenant() tenantId: string | null) {
    return this.definitions.asyncApiDocument(tenantId);
  }
}
