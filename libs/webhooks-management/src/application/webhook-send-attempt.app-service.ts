import { Injectable } from '@nestjs/common';
import { WebhookNotFoundError } from '@hookline/webhooks-core';
import {
  KeysetPage,
  SendAttemptQuery,
  WebhookRedeliveryService,
  WebhookSendAttempt,
  WebhookSendAttemptStore,
  WebhookSubscriptionStore,
} from '@hookline/webhooks';

/** Send attempts of the caller's tenant (LINGYUN's WebhookSendRecordAppService): read, delete, resend. */
@Injectable()
export class WebhookSendAttemptAppService {
  constructor(
    private readonly attempts: WebhookSendAttemptStore,
    private readonly subscriptions: WebhookSubscriptionStore,
    private readonly redelivery: WebhookRedeliveryService,
  ) {}

  list(query: SendAttemptQuery): Promise<KeysetPage<WebhookSendAttempt>> {
    return this.attempts.list(query);
  }

  async get(tenantId: string | null, id: string): Promise<WebhookSendAttempt> {
    const attempt = await this.attempts.findById(tenantId, id);
    if (!attempt) throw new WebhookNotFoundError('Send attempt', id);
    return attempt;
  }

  async delete(tenantId: string | null, id: string): Promise<void> {
    if ((await this.attempts.delete(tenantId, [id])) === 0) throw new WebhookNotFoundError('Send attempt', id);
  }

  /** Another tenant's ids are ignored; answers how many were deleted. */
  deleteMany(tenantId: string | null, ids: readonly string[]): Promise<number> {
    return this.attempts.delete(tenantId, ids);
  }

  /** One new try of the attempt's delivery now; answers the new attempt. */
  async resend(tenantId: string | null, id: string): Promise<WebhookSendAttempt> {
    const attempt = await this.get(tenantId, id);
    // Deleting a subscription deletes its attempts, so the subscription is there; it may be inactive.
    const subscription = await this.subscriptions.findById(tenantId, attempt.webhookSubscriptionId);
    if (!subscription) throw new WebhookNotFoundError('Send attempt', id);
    return this.redelivery.resendNow(tenantId, attempt, subscription);
  }

  /** Queues the deliveries of these attempts (another tenant's, or an inactive subscription's, are skipped). */
  resendMany(tenantId: string | null, ids: readonly string[]): Promise<number> {
    return this.redelivery.resendMany(tenantId, ids);
  }
}
