import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HostOnly, RequirePermissions, WebhooksPermissions, WebhooksApi } from '@hookline/webhooks-management';
import { HooklineMetrics } from './hookline-metrics';

export const QUEUE_DASHBOARD_PATH = Symbol('QUEUE_DASHBOARD_PATH');

/** The delivery scheduler's figures, for the admin console (the host only). */
@ApiTags('Operations')
@Controller('api/webhooks/queue')
@WebhooksApi()
export class QueueController {
  constructor(
    private readonly metrics: HooklineMetrics,
    @Inject(QUEUE_DASHBOARD_PATH) private readonly dashboardPath: string | null,
  ) {}

  /**
   * Deliveries by state and held-back endpoints by reason (null when Redis does not answer), and where the queue
   * dashboard is (null: not served).
   */
  @Get()
  @HostOnly()
  @RequirePermissions(WebhooksPermissions.SendAttempts.Default)
  async depth() {
    return { scheduler: await this.metrics.dispatchCounts(), dashboardPath: this.dashboardPath };
  }
}
