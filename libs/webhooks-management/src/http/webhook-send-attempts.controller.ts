import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { SEND_ATTEMPT_SORT_FIELDS } from '@hookline/webhooks';
import { WebhookSendAttemptAppService } from '../application/webhook-send-attempt.app-service';
import { RequirePermissions } from '../auth/webhooks-principal';
import { WebhooksPermissions } from '../auth/webhooks-permissions';
import { CurrentTenant } from './current-tenant.decorator';
import { IdListDto } from './dto/id-list.dto';
import { parseSorting } from './dto/query-rules';
import {
  DeletedCountDto,
  ListSendAttemptsQueryDto,
  QueuedCountDto,
  SendAttemptDto,
  SendAttemptListDto,
  toSendAttemptDto,
} from './dto/send-attempt.dto';
import { encodeCursor } from './dto/keyset-cursor';
import { RequestValidationError } from './webhooks-api-error';
import { ParseId, WebhooksApi } from './webhooks-api.decorator';

@ApiTags('Send attempts')
@Controller('api/webhooks/send-attempts')
@WebhooksApi()
export class WebhookSendAttemptsController {
  constructor(private readonly attempts: WebhookSendAttemptAppService) {}

  @Get()
  @RequirePermissions(WebhooksPermissions.SendAttempts.Default)
  @ApiOkResponse({ type: SendAttemptListDto })
  async list(@CurrentTenant() tenantId: string | null, @Query() query: ListSendAttemptsQueryDto): Promise<SendAttemptListDto> {
    const { sorting, cursor, ...filters } = query;
    const parsed = parseSorting(sorting, SEND_ATTEMPT_SORT_FIELDS);
    if (cursor && parsed && parsed.field !== 'creationTime') {
      throw new RequestValidationError([{ field: 'cursor', message: 'pages by cursor only when sorted by creationTime' }]);
    }
    const { totalCount, items, next } = await this.attempts.list({ ...filters, tenantId, after: cursor, sorting: parsed });
    return { totalCount, items: items.map(toSendAttemptDto), nextCursor: encodeCursor(next) };
  }

  /** Deletes those of the ids that belong to the caller's tenant. */
  @Post('delete-many')
  @HttpCode(200)
  @RequirePermissions(WebhooksPermissions.SendAttempts.Delete)
  @ApiOkResponse({ type: DeletedCountDto })
  async deleteMany(@CurrentTenant() tenantId: string | null, @Body() dto: IdListDto): Promise<DeletedCountDto> {
    return { deletedCount: await this.attempts.deleteMany(tenantId, dto.ids) };
  }

  /** Reopens the attempts' deliveries with a fresh retry budget and queues them (202). */
  @Post('resend-many')
  @HttpCode(202)
  @RequirePermissions(WebhooksPermissions.SendAttempts.Resend)
  @ApiAcceptedResponse({ type: QueuedCountDto })
  async resendMany(@CurrentTenant() tenantId: string | null, @Body() dto: IdListDto): Promise<QueuedCountDto> {
    return { queuedCount: await this.attempts.resendMany(tenantId, dto.ids) };
  }

  @Get(':id')
  @RequirePermissions(WebhooksPermissions.SendAttempts.Default)
  @ApiOkResponse({ type: SendAttemptDto })
  async get(@CurrentTenant() tenantId: string | null, @Param('id', ParseId()) id: string): Promise<SendAttemptDto> {
    return toSendAttemptDto(await this.attempts.get(tenantId, id));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions(WebhooksPermissions.SendAttempts.Delete)
  @ApiNoContentResponse()
  async delete(@CurrentTenant() tenantId: string | null, @Param('id', ParseId()) id: string): Promise<void> {
    await this.attempts.delete(tenantId, id);
  }

  /** One new try of the attempt's delivery now, whatever its retry count; answers the new attempt. */
  @Post(':id/resend')
  @HttpCode(200)
  @RequirePermissions(WebhooksPermissions.SendAttempts.Resend)
  @ApiOkResponse({ type: SendAttemptDto })
  async resend(@CurrentTenant() tenantId: string | null, @Param('id', ParseId()) id: string): Promise<SendAttemptDto> {
    return toSendAttemptDto(await this.attempts.resend(tenantId, id));
  }
}
