import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ConcurrencyLimit,
  WEBHOOKS_OPTIONS,
  WebhookSigner,
  WebhooksOptions,
  buildWebhookBody,
  redactHeaders,
} from '@hookline/webhooks-core';
import { type WebhookEvent, type WebhookSendAttempt, previousSecretInForce } from '../domain/webhook-model';
import {
  DeliverySendContext,
  DeliveryTransition,
  SubscriptionSendSettings,
  WebhookDeliveryStore,
  WebhookSendAttemptStore,
  WebhookSubscriptionStore,
} from '../domain/webhook-stores';
import { DeactivationReasonKind, WebhookObservers } from '../observation/webhook-observer';
import { isSuccessStatus, retryDelayMs } from './retry-policy';
import { WebhookSendResult, WebhookSender } from './webhook-sender';

/** A send context read ahead is read again when its delivery waited longer than this for a send slot. */
const CONTEXT_MAX_AGE_MS = 1_000;

/** What became of one run of a delivery. */
export type DeliveryRunOutcome =
  | { kind: 'skipped'; reason: string }
  | { kind: 'succeeded' | 'failed'; attempt: number }
  | { kind: 'retry'; attempt: number; delayMs: number };

/** How a run treats a delivery; the queue's runs use the defaults. */
export interface DeliveryRunPolicy {
  /** Send even when the subscription is inactive (a test send), instead of abandoning the delivery. */
  sendToInactiveSubscription?: boolean;
  /** A failure leaves the delivery pending for a retry while its attempt budget lasts (false: one try only). */
  retryOnFailure?: boolean;
  /**
   * The queue job running it: the delivery is only sent while that job carries it, and signing and sending it
   * take one of the worker's `workerConcurrency` send slots, which all its jobs share.
   */
  queueJobId?: string;
}

/** One run and the attempt it recorded (null when it was skipped). */
export interface DeliveryRunResult {
  outcome: DeliveryRunOutcome;
  attempt: WebhookSendAttempt | null;
}

/** A delivery signed and sent, its answer not yet recorded. */
interface SentAttempt {
  context: DeliverySendContext & { subscription: SubscriptionSendSettings };
  attemptNumber: number;
  headers: Record<string, string>;
  sentAt: Date;
  result: WebhookSendResult;
}

/**
 * Runs one attempt of one delivery (ABP's WebhookSenderJob body): reads what it needs, signs, sends, records
 * the attempt with the delivery's next state in one transaction, then deactivates the subscription when it
 * has failed too often or its receiver answered 410 Gone.
 */
@Injectable()
export class WebhookDeliveryService {
  private readonly logger = new Logger(WebhookDeliveryService.name);
  private readonly sendSlots: ConcurrencyLimit;
  private readonly readAheadSlots: ConcurrencyLimit;

  constructor(
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
    private readonly deliveries: WebhookDeliveryStore,
    private readonly attempts: WebhookSendAttemptStore,
    private readonly subscriptions: WebhookSubscriptionStore,
    private readonly sender: WebhookSender,
    private readonly signer: WebhookSigner,
    private readonly observers: WebhookObservers,
  ) {
    this.sendSlots = new ConcurrencyLimit(options.workerConcurrency);
    this.readAheadSlots = new ConcurrencyLimit(options.workerConcurrency);
  }

  /**
   * A queue job's run: one attempt of each delivery the job still carries. Settles one outcome per delivery,
   * in order; a rejection is an infrastructure failure (nothing recorded). The deliveries of all running jobs
   * come forward into the read-ahead places one at a time, first job first: a delivery still waiting its turn
   * costs nothing but its id (see `readAheadAndSend` for what happens then).
   */
  runJob(queueJobId: string, deliveryIds: readonly string[]): Promise<PromiseSettledResult<DeliveryRunOutcome>[]> {
    const policy = { queueJobId };
    return this.readAheadSlots.runEach(deliveryIds, async (deliveryId, releaseReadAhead) => {
      const run = await this.attempt(policy, () => this.readAheadAndSend(deliveryId, policy, releaseReadAhead));
      return run.outcome;
    });
  }

  /** One attempt of a pending delivery now, answering the attempt as recorded: a synchronous resend or test send. */
  attemptNow(deliveryId: string, policy: DeliveryRunPolicy = {}): Promise<DeliveryRunResult> {
    return this.attempt(policy, async () => this.checkAndSend(await this.deliveries.getSendContext(deliveryId), policy));
  }

  private async attempt(
    policy: DeliveryRunPolicy,
    send: () => Promise<SentAttempt | { skipped: string }>,
  ): Promise<DeliveryRunResult> {
    const sent = await send();
    if ('skipped' in sent) return { outcome: { kind: 'skipped', reason: sent.skipped }, attempt: null };
    const { context, attemptNumber, headers, sentAt, result } = sent;
    const { delivery, event, subscription } = context;
    const outcome = this.decide(result, delivery, subscription, policy.retryOnFailure ?? true);
    const attempt: WebhookSendAttempt = {
      id: randomUUID(),
      deliveryId: delivery.id,
      webhookEventId: event.id,
      webhookSubscriptionId: subscription.id,
      tenantId: delivery.tenantId,
      attemptNumber,
      succeeded: outcome.kind === 'succeeded',
      responseStatusCode: result.statusCode,
      response: result.responseBody,
      requestHeaders: redactHeaders(headers),
      responseHeaders: result.responseHeaders,
      durationMs: result.durationMs,
      error: result.error,
      creationTime: new Date(),
    };
    const transition = this.transitionFor(outcome);
    const { consecutiveFailures } = await this.attempts.record(attempt, transition);
    this.log(context, attemptNumber, result, outcome);
    this.observers.notify('attemptRecorded', {
      tenantId: delivery.tenantId,
      webhookEventId: event.id,
      subscriptionId: subscription.id,
      deliveryId: delivery.id,
      attempt: attemptNumber,
      succeeded: outcome.kind === 'succeeded',
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      deliveryState: transition.state,
      eventCreationTime: event.creationTime,
      sentAt,
    });

    if (outcome.kind !== 'succeeded') {
      const deactivation = this.deactivationReason(result, consecutiveFailures);
      if (deactivation) {
        await this.subscriptions.deactivate(subscription.id, deactivation.reason, new Date());
        this.logger.warn({
          msg: 'subscription deactivated',
          tenantId: delivery.tenantId,
          webhookEventId: event.id,
          subscriptionId: subscription.id,
          deliveryId: delivery.id,
          attempt: attemptNumber,
          reason: deactivation.reason,
        });
        this.observers.notify('subscriptionDeactivated', {
          tenantId: delivery.tenantId,
          subscriptionId: subscription.id,
          reasonKind: deactivation.kind,
          reason: deactivation.reason,
        });
        return { outcome: { kind: 'failed', attempt: attemptNumber }, attempt };
      }
    }
    return { outcome, attempt };
  }

  /**
   * A queue job's delivery, holding one of `workerConcurrency` read-ahead places (see runJob), reads its send
   * context while others are being sent, then waits for a send slot and gives its place up: the sends never wait
   * on PostgreSQL, and the deliveries that read together have their contexts read in one query. One that waited
   * longer than CONTEXT_MAX_AGE_MS for its slot (behind slow receivers) is read again, so it is never sent on an
   * old state; it is signed only once it has its slot. The slot is released before the attempt is recorded:
   * recording is batched and needs none.
   */
  private async readAheadAndSend(
    deliveryId: string,
    policy: DeliveryRunPolicy,
    releaseReadAhead: () => void,
  ): Promise<SentAttempt | { skipped: string }> {
    const context = await this.deliveries.getSendContext(deliveryId);
    const readAt = performance.now();
    const releaseSendSlot = await this.sendSlots.acquire();
    releaseReadAhead();
    try {
      const stale = performance.now() - readAt > CONTEXT_MAX_AGE_MS;
      return await this.checkAndSend(stale ? await this.deliveries.getSendContext(deliveryId) : context, policy);
    } finally {
      releaseSendSlot();
    }
  }

  /** Checks that the delivery is still to be sent here, then signs and sends it. */
  private async checkAndSend(
    context: DeliverySendContext | null,
    policy: DeliveryRunPolicy,
  ): Promise<SentAttempt | { skipped: string }> {
    if (!context) return { skipped: 'delivery not found' };
    const { delivery, event, subscription } = context;
    if (delivery.state !== 'pending') return { skipped: `delivery is ${delivery.state}` };
    // Handed to a job of its own (a retry, a resend, the sweeper) since this job was enqueued.
    if (policy.queueJobId !== undefined && (delivery.queueJobId ?? delivery.id) !== policy.queueJobId) {
      return { skipped: 'delivery is carried by another queue job' };
    }
    if (!subscription || !(subscription.isActive || policy.sendToInactiveSubscription)) {
      await this.deliveries.abandon(delivery.id);
      this.observers.notify('deliveryAbandoned', {
        tenantId: delivery.tenantId,
        webhookEventId: event.id,
        subscriptionId: delivery.webhookSubscriptionId,
        deliveryId: delivery.id,
      });
      return { skipped: 'subscription is inactive or deleted' };
    }

    const attemptNumber = delivery.attemptCount + 1;
    const body = buildWebhookBody({
      webhookEventId: event.id,
      webhookName: event.webhookName,
      attempt: attemptNumber,
      dataJson: event.data,
      creationTime: event.creationTime,
      sendExactSameData: event.sendExactSameData,
    });
    const headers = this.buildHeaders(delivery.id, body, event, subscription);
    const timeoutMs = (subscription.timeoutDuration ?? this.options.timeoutDuration) * 1000;
    const sentAt = new Date();
    const result = await this.sender.send({ uri: subscription.webhookUri, body, headers, timeoutMs });
    return { context: { delivery, event, subscription }, attemptNumber, headers, sentAt, result };
  }

  /**
   * Header names are case-insensitive, so custom ones are lower-cased before merging: a publish-time
   * `x-team` replaces a subscription's `X-Team`, and a custom `User-Agent` replaces the default one.
   */
  private buildHeaders(
    deliveryId: string,
    body: string,
    event: WebhookEvent,
    subscription: SubscriptionSendSettings,
  ): Record<string, string> {
    const custom = event.useOnlyGivenHeaders
      ? lowerCaseNames(event.headers)
      : { ...lowerCaseNames(subscription.headers), ...lowerCaseNames(event.headers) };
    return {
      'user-agent': this.options.userAgent,
      ...custom,
      'content-type': 'application/json; charset=utf-8',
      ...this.signer.sign({
        body,
        secrets: signingSecrets(subscription, new Date()),
        webhookId: deliveryId,
        timestamp: Math.floor(Date.now() / 1000),
      }),
    };
  }

  private decide(
    result: WebhookSendResult,
    delivery: DeliverySendContext['delivery'],
    subscription: SubscriptionSendSettings,
    retryOnFailure: boolean,
  ): DeliveryRunOutcome {
    const attempt = delivery.attemptCount + 1;
    if (isSuccessStatus(result.statusCode)) return { kind: 'succeeded', attempt };
    // The budget counts from the last reopening (resend, replay), so a reopened delivery gets every retry again.
    const attemptInBudget = attempt - delivery.attemptBase;
    const maxAttempts = subscription.maxSendAttemptCount ?? this.options.maxSendAttemptCount;
    if (result.statusCode === 410 || attemptInBudget >= maxAttempts || !retryOnFailure) return { kind: 'failed', attempt };
    return { kind: 'retry', attempt, delayMs: retryDelayMs(attemptInBudget, this.options, result.retryAfterMs) };
  }

  private transitionFor(outcome: DeliveryRunOutcome): DeliveryTransition {
    if (outcome.kind === 'retry') return { state: 'pending', nextAttemptAt: new Date(Date.now() + outcome.delayMs) };
    return { state: outcome.kind === 'succeeded' ? 'succeeded' : 'failed', nextAttemptAt: null };
  }

  private deactivationReason(
    result: WebhookSendResult,
    consecutiveFailures: number,
  ): { kind: DeactivationReasonKind; reason: string } | null {
    if (result.statusCode === 410) return { kind: 'gone', reason: 'The receiver answered 410 Gone' };
    const limit = this.options.maxConsecutiveFailCountBeforeDeactivateSubscription;
    if (this.options.isAutomaticSubscriptionDeactivationEnabled && consecutiveFailures >= limit) {
      return { kind: 'consecutive_failures', reason: `${consecutiveFailures} consecutive failed attempts (limit ${limit})` };
    }
    return null;
  }

  private log(context: DeliverySendContext, attempt: number, result: WebhookSendResult, outcome: DeliveryRunOutcome): void {
    const line = {
      msg: 'webhook attempt',
      tenantId: context.delivery.tenantId,
      webhookEventId: context.event.id,
      subscriptionId: context.delivery.webhookSubscriptionId,
      deliveryId: context.delivery.id,
      attempt,
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      outcome: outcome.kind,
      error: result.error ?? undefined,
    };
    if (outcome.kind === 'succeeded') this.logger.debug(line);
    else this.logger.warn(line);
  }
}

/** The current secret, and the one a rotation replaced while its overlap lasts (current first). */
function signingSecrets(subscription: SubscriptionSendSettings, now: Date): string[] {
  const previous = previousSecretInForce(subscription, now);
  return previous === null ? [subscription.secret] : [subscription.secret, previous];
}

const lowerCaseNames = (headers: Record<string, string> | null): Record<string, string> =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
