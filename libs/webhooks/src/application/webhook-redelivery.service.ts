import { Inject, Injectable } from '@nestjs/common';
import {
  WEBHOOKS_OPTIONS,
  WebhookConflictError,
  WebhookNotFoundError,
  WebhookValidationError,
  WebhooksOptions,
  timeOrderedId,
} from '@hookline/webhooks-core';
import type { WebhookDelivery, WebhookEvent, WebhookSendAttempt, WebhookSubscription } from '../domain/webhook-model';
import { DeliveryDispatch } from '../domain/ports/delivery-dispatch';
import { ReopenedDelivery, ReplayWindow, WebhookDeliveryStore } from '../domain/ports/webhook-delivery.store';
import { WebhookEventStore } from '../domain/ports/webhook-event.store';
import { DeliveryRunOutcome, WebhookDeliveryService } from '../sending/webhook-delivery.service';

/** The webhook name of test sends (not a definition: it cannot be subscribed to or published). */
export const TEST_WEBHOOK_NAME = 'webhooks.test';

/** A test send: the event, delivery and attempt it recorded. */
export interface TestSendResult {
  webhookEventId: string;
  deliveryId: string;
  attempt: WebhookSendAttempt;
}

/**
 * Sends deliveries again on request. A reopened delivery is pending again with a fresh attempt budget, so
 * "max attempts reached" never stops a resend or replay; the attempt itself is always made by
 * WebhookDeliveryService: now for a single resend and a test send, through the scheduler's retry lane for many.
 */
@Injectable()
export class WebhookRedeliveryService {
  constructor(
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
    private readonly deliveries: WebhookDeliveryStore,
    private readonly events: WebhookEventStore,
    private readonly dispatch: DeliveryDispatch,
    private readonly sender: WebhookDeliveryService,
  ) {}

  /**
   * One new try of the attempt's delivery now, answered as recorded. Should it fail, the delivery's usual
   * retries follow (a fresh budget). 409 while a worker is sending the same delivery, or when the
   * subscription is inactive.
   */
  async resendNow(
    tenantId: string | null,
    sendAttempt: WebhookSendAttempt,
    subscription: WebhookSubscription,
  ): Promise<WebhookSendAttempt> {
    if (!subscription.isActive) throw inactiveSubscription(subscription.id);
    const { deliveryId } = sendAttempt;
    // Taken out of the scheduler (waiting, or waiting for a retry), so no worker sends it while we do.
    const item = { deliveryId, subscriptionId: subscription.id, tenantId: subscription.tenantId };
    if (!(await this.dispatch.withdraw(item))) {
      throw new WebhookConflictError(`Delivery '${deliveryId}' is being sent right now; resend it once that attempt is recorded`);
    }
    const [reopened] = await this.deliveries.reopenByAttempts(tenantId, [sendAttempt.id], this.leaseFor(subscription));
    if (!reopened) throw inactiveSubscription(subscription.id);
    const { outcome, attempt } = await this.sender.attemptNow(deliveryId);
    // Something else moved the delivery meanwhile (the subscription was deactivated, say).
    if (!attempt) throw new WebhookConflictError(`Delivery '${deliveryId}' was not sent: ${describe(outcome)}`);
    return attempt;
  }

  /** Reopens the deliveries of these attempts (those of active subscriptions) and queues them; answers how many. */
  async resendMany(tenantId: string | null, sendAttemptIds: readonly string[]): Promise<number> {
    return this.queueReopened(await this.deliveries.reopenByAttempts(tenantId, sendAttemptIds, new Date()));
  }

  /**
   * Reopens and queues the subscription's deliveries whose events were created in [since, until); answers
   * how many. At most `replayMaxDeliveries`: a wider window is refused, nothing queued.
   */
  async replay(subscription: WebhookSubscription, window: Pick<ReplayWindow, 'since' | 'until' | 'onlyFailed'>): Promise<number> {
    if (!subscription.isActive) throw inactiveSubscription(subscription.id);
    const maxDeliveries = this.options.replayMaxDeliveries;
    const { tooMany, reopened } = await this.deliveries.reopenForReplay(
      { ...window, tenantId: subscription.tenantId, subscriptionId: subscription.id, maxDeliveries },
      new Date(),
    );
    if (tooMany) {
      throw new WebhookValidationError(
        'since',
        `the window holds more than ${maxDeliveries} deliveries; replay it in parts (a later since or an earlier until)`,
      );
    }
    return this.queueReopened(reopened);
  }

  /**
   * Sends a signed test event to the subscription now, active or not (it is how a fixed endpoint is checked
   * before reactivating it), recorded as an event, a delivery and an attempt like any other. One try, no
   * retries; it counts towards the subscription's run of failures like any attempt, but never reactivates it.
   */
  async sendTest(subscription: WebhookSubscription): Promise<TestSendResult> {
    const now = new Date();
    const event: WebhookEvent = {
      id: timeOrderedId(now),
      tenantId: subscription.tenantId,
      webhookName: TEST_WEBHOOK_NAME,
      data: JSON.stringify({
        note: 'A test event sent from Hookline on request, to check this endpoint. It needs no action.',
        subscriptionId: subscription.id,
      }),
      sendExactSameData: false,
      headers: null,
      useOnlyGivenHeaders: false,
      creationTime: now,
    };
    const delivery: WebhookDelivery = {
      id: timeOrderedId(now),
      webhookEventId: event.id,
      webhookSubscriptionId: subscription.id,
      tenantId: subscription.tenantId,
      state: 'pending',
      attemptCount: 0,
      attemptBase: 0,
      nextAttemptAt: this.leaseFor(subscription),
      lastAttemptAt: null,
      creationTime: now,
    };
    await this.events.saveEvents([{ event, deliveries: [delivery] }]);
    const { attempt } = await this.sender.attemptNow(delivery.id, { sendToInactiveSubscription: true, retryOnFailure: false });
    // None only when the subscription was deleted meanwhile (its deliveries went with it).
    if (!attempt) throw new WebhookNotFoundError('Webhook subscription', subscription.id);
    return { webhookEventId: event.id, deliveryId: delivery.id, attempt };
  }

  /**
   * Until when a delivery sent outside the queue is left alone by the sweeper: past its timeout, so only a
   * process that died mid-send leaves it to be picked up.
   */
  private leaseFor(subscription: WebhookSubscription): Date {
    return new Date(Date.now() + (subscription.timeoutDuration ?? this.options.timeoutDuration) * 1000);
  }

  /**
   * The reopened deliveries join the retry lane; a retry one of them was waiting for is cancelled, so it is not
   * sent twice. Asking for them again is the operator's say-so that their endpoints are fine: a pause or open
   * breaker of theirs is lifted.
   */
  private async queueReopened(reopened: ReopenedDelivery[]): Promise<number> {
    const items = reopened.map((d) => ({ deliveryId: d.id, subscriptionId: d.webhookSubscriptionId, tenantId: d.tenantId }));
    const endpoints = new Map(items.map((i) => [i.subscriptionId, i.tenantId]));
    await Promise.all([...endpoints].map(([id, tenantId]) => this.dispatch.resume(id, tenantId).catch(() => undefined)));
    await this.dispatch.submit(items, 'retry');
    await this.dispatch.cancelRetries(reopened.filter((d) => d.wasPending).map((d) => d.id));
    return reopened.length;
  }
}

const describe = (outcome: DeliveryRunOutcome): string => (outcome.kind === 'skipped' ? outcome.reason : outcome.kind);

const inactiveSubscription = (subscriptionId: string) =>
  new WebhookConflictError(
    `Subscription '${subscriptionId}' is inactive: activate it first (a test send works on an inactive subscription)`,
    [{ field: 'subscriptionId', message: 'inactive' }],
  );
