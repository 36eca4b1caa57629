import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { WebhookReplayAndTestSendAppService } from '../application/webhook-replay-and-test-send.app-service';
import { RequirePermissions } from '../auth/webhooks-principal';
import { WebhooksPermissions } from '../auth/webhooks-permissions';
import { CurrentTenant } from './current-tenant.decorator';
import { QueuedCountDto, ReplayDto, TestSendResultDto } from './dto/send-attempt.dto';
import { ParseId, WebhooksApi } from './webhooks-api.decorator';

/** The first KB of a test send's response is answered (the attempt keeps more). */
const TEST_RESPONSE_BYTES = 1024;

/** Replay and test send, under the subscriptions route (the CRUD lives in WebhookSubscriptionsController). */
@ApiTags('Subscriptions')
@Controller('api/webhooks/subscriptions')
@WebhooksApi()
export class WebhookReplayAndTestSendController {
  constructor(private readonly replayAndTestSend: WebhookReplayAndTestSendAppService) {}

  /** Re-sends the deliveries whose events were created in the window, through the queue (202). */
  @Post(':id/replay')
  @HttpCode(202)
  @RequirePermissions(WebhooksPermissions.SendAttempts.Resend)
  @ApiAcceptedResponse({ type: QueuedCountDto })
  async replay(
    @CurrentTenant() tenantId: string | null,
    @Param('id', ParseId()) id: string,
    @Body() dto: ReplayDto,
  ): Promise<QueuedCountDto> {
    return { queuedCount: await this.replayAndTestSend.replay(tenantId, id, dto) };
  }

  /** Sends a signed test event now (inactive subscriptions too) and answers how the receiver took it. */
  @Post(':id/test')
  @HttpCode(200)
  @RequirePermissions(WebhooksPermissions.Subscriptions.Update)
  @ApiOkResponse({ type: TestSendResultDto })
  async test(@CurrentTenant() tenantId: string | null, @Param('id', ParseId()) id: string): Promise<TestSendResultDto> {
    const { webhookEventId, deliveryId, attempt } = await this.replayAndTestSend.sendTest(tenantId, id);
    return {
      succeeded: attempt.succeeded,
      statusCode: attempt.responseStatusCode,
      durationMs: attempt.durationMs,
      response: firstBytes(attempt.response, TEST_RESPONSE_BYTES),
      error: attempt.error,
      webhookEventId,
      deliveryId,
      sendAttemptId: attempt.id,
    };
  }
}

/** The text's first `limit` UTF-8 bytes, without a character cut in half. */
function firstBytes(text: string | null, limit: number): string | null {
  if (text === null) return null;
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= limit
    ? text
    : bytes
        .subarray(0, limit)
        .toString('utf8')
        .replace(/\uFFFD+$/, '');
}
