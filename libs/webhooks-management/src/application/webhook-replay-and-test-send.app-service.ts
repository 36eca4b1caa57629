import { Injectable } from '@nestjs/common';
import { WebhookValidationError } from '@hookline/webhooks-core';
import { TestSendResult, WebhookRedeliveryService } from '@hookline/webhooks';
import { WebhookSubscriptionAppService } from './webhook-subscription.app-service';

export interface ReplayInput {
  since: Date;
  until?: Date;
  onlyFailed?: boolean;
}

/** A client's clock may run a little ahead of ours; a replay window ending in the future is refused past this. */
const CLOCK_SKEW_MS = 60_000;

/** Replay of a subscription's past deliveries, and test sends to it. */
@Injectable()
export class WebhookReplayAndTestSendAppService {
  constructor(
    private readonly subscriptions: WebhookSubscriptionAppService,
    private readonly redelivery: WebhookRedeliveryService,
  ) {}

  /** Re-sends, through the queue, the deliveries whose events were created in [since, until); answers how many. */
  async replay(tenantId: string | null, subscriptionId: string, input: ReplayInput): Promise<number> {
    const now = Date.now();
    const until = input.until ?? new Date(now);
    if (input.since.getTime() > now + CLOCK_SKEW_MS) throw new WebhookValidationError('since', 'must not be in the future');
    if (until.getTime() > now + CLOCK_SKEW_MS) throw new WebhookValidationError('until', 'must not be in the future');
    if (input.since >= until) throw new WebhookValidationError('until', 'must be later than since');
    const subscription = await this.subscriptions.get(tenantId, subscriptionId);
    return this.redelivery.replay(subscription, { since: input.since, until, onlyFailed: input.onlyFailed ?? false });
  }

  /** A signed test event sent now, active subscription or not. */
  async sendTest(tenantId: string | null, subscriptionId: string): Promise<TestSendResult> {
    return this.redelivery.sendTest(await this.subscriptions.get(tenantId, subscriptionId));
  }
}
