import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  HeaderRedactor,
  WEBHOOKS_OPTIONS,
  WebhookSigner,
  WebhooksOptions,
  buildWebhookBody,
  timeOrderedId,
} from '@hookline/webhooks-core';
import { ClaimedDelivery, DeliveryDispatch } from '../domain/ports/delivery-dispatch';
import {
  AttemptAnswer,
  AttemptDecision,
  breakerAfterAttempt,
  deactivationAfter,
  decideAttempt,
  deliveryAfter,
  deliveryAfterDeactivation,
  deliveryWithoutSubscription,
  endpointPausedUntil,
} from '../domain/delivery-lifecycle';
import { type WebhookEvent, type WebhookSendAttempt, previousSecretInForce } from '../domain/webhook-model';
import { DeliverySendContext, SubscriptionSendSettings, WebhookDeliveryStore } from '../domain/ports/webhook-delivery.store';
import { WebhookSendAttemptStore } from '../domain/ports/webhook-send-attempt.store';
import { WebhookSubscriptionStore } from '../domain/ports/webhook-subscription.store';
import { WebhookObservers } from '../observation/webhook-observer';
import { WebhookSendResult, WebhookSender } from './webhook-sender';

/** What became of one run of a delivery. */
export type DeliveryRunOutcome =
  | { kind: 'skipped'; reason: string }
  | { kind: 'succeeded' | 'failed' | 'abandoned'; attempt: number }
  | { kind: 'retry'; attempt: number; delayMs: number };

/** How a run treats a delivery; the scheduler's runs use the defaults. */
export interface DeliveryRunPolicy {
  /** Send even when the subscription is inactive (a test send), instead of abandoning the delivery. */
  sendToInactiveSubscription?: boolean;
  /** A failure leaves the delivery pending for a retry while its attempt budget lasts (false: one try only). */
  retryOnFailure?: boolean;
}

/** One run and the attempt it recorded (null when it was skipped). */
export interface DeliveryRunResult {
  outcome: DeliveryRunOutcome;
  attempt: WebhookSendAttempt | null;
}

/** A delivery signed and sent, with what its answer means, not yet recorded. */
interface SentAttempt {
  context: DeliverySendContext & { subscription: SubscriptionSendSettings };
  attemptNumber: number;
  headers: Record<string, string>;
  sentAt: Date;
  result: WebhookSendResult;
  /** What the endpoint's scheduler learns from it. */
  answer: AttemptAnswer;
  decision: AttemptDecision;
}

type SendOutcome = SentAttempt | { skipped: string };

/** Wraps the wait for a receiver's answer, so a caller can tell it from the run's own work. */
export type AwaitingAnswer = (send: () => Promise<WebhookSendResult>) => Promise<WebhookSendResult>;
const justWait: AwaitingAnswer = (send) => send();

/** A send that ended with no answer this close to its timeout timed out. */
const TIMEOUT_MARGIN_MS = 5;

/**
 * Runs one attempt of one delivery (ABP's WebhookSenderJob body): reads what it needs, signs, sends, records
 * the attempt with the delivery's next state (decided by the delivery lifecycle) in one transaction, schedules
 * its retry, then deactivates the subscription when it has failed too often or its receiver answered 410 Gone.
 */
@Injectable()
export class WebhookDeliveryService {
  private readonly logger = new Logger(WebhookDeliveryService.name);

  constructor(
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
    private readonly deliveries: WebhookDeliveryStore,
    private readonly attempts: WebhookSendAttemptStore,
    private readonly subscriptions: WebhookSubscriptionStore,
    private readonly sender: WebhookSender,
    private readonly signer: WebhookSigner,
    private readonly observers: WebhookObservers,
    private readonly dispatch: DeliveryDispatch,
    private readonly redactor: HeaderRedactor,
  ) {}

  /**
   * A delivery the scheduler handed out: one attempt, reported to the scheduler as soon as its receiver answered
   * (the endpoint's place freed, its breaker and pause updated), then recorded; then the claim ends, and only
   * then its retry is scheduled: a retry due sooner would find the delivery still held and not join its lane.
   * Rejects on an infrastructure failure, leaving the claim to its lease: it expires and the delivery is handed
   * out again. `awaitingAnswer` wraps the wait for the receiver (the worker counts its sends at work apart from
   * those waiting).
   */
  async runClaimed(claim: ClaimedDelivery, awaitingAnswer = justWait): Promise<DeliveryRunOutcome> {
    const sent = await this.send(claim.deliveryId, {}, awaitingAnswer);
    await this.reportSend(claim, sent);
    const run = await this.record(sent);
    await this.dispatch.end(claim);
    await this.scheduleRetry(run);
    return run.outcome;
  }

  /** One attempt of a pending delivery now, answering the attempt as recorded: a synchronous resend or test send. */
  async attemptNow(deliveryId: string, policy: DeliveryRunPolicy = {}): Promise<DeliveryRunResult> {
    const run = await this.record(await this.send(deliveryId, policy));
    await this.scheduleRetry(run);
    return run;
  }

  /** Tells the scheduler how the claim's send went, and moves the endpoint's breaker when the lifecycle says so. */
  private async reportSend(claim: ClaimedDelivery, sent: SendOutcome): Promise<void> {
    const now = Date.now();
    const attempt = 'skipped' in sent ? null : sent;
    const succeeded = attempt?.decision.kind === 'succeeded';
    const subscription = attempt?.context.subscription;
    const after = await this.dispatch.report({
      claim,
      limits: {
        concurrency: subscription?.maxConcurrentSends ?? null,
        ratePerSecond: subscription?.rateLimitPerSecond ?? null,
      },
      result: attempt === null ? 'skipped' : succeeded ? 'succeeded' : 'failed',
      timedOut: attempt?.answer.timedOut ?? false,
      pauseUntil: attempt === null ? null : endpointPausedUntil(attempt.answer, now, this.options),
    });
    if (!after.claimHeld) return;
    const next = breakerAfterAttempt(after.breaker, succeeded ? 'succeeded' : 'failed', after.window, now, this.options);
    await this.dispatch.release(claim, next && { from: after.breaker, next });
    if (next) {
      this.logger.warn({
        msg: 'endpoint breaker moved',
        subscriptionId: claim.subscriptionId,
        from: after.breaker.kind,
        to: next.kind,
      });
    }
  }

  /** Should Redis refuse it, the retry is pending and due in PostgreSQL: the sweeper hands it over. */
  private async scheduleRetry({ outcome, attempt }: DeliveryRunResult): Promise<void> {
    if (outcome.kind !== 'retry' || !attempt) return;
    const item = { deliveryId: attempt.deliveryId, subscriptionId: attempt.webhookSubscriptionId, tenantId: attempt.tenantId };
    await this.dispatch.retryLater(item, outcome.delayMs);
  }

  /**
   * Records a sent attempt with the delivery's next state in one transaction, then deactivates the subscription
   * when it has failed too often or its receiver answered 410 Gone.
   */
  private async record(sent: SendOutcome): Promise<DeliveryRunResult> {
    if ('skipped' in sent) return { outcome: { kind: 'skipped', reason: sent.skipped }, attempt: null };
    const { context, attemptNumber, headers, sentAt, result, answer, decision } = sent;
    const { delivery, event, subscription } = context;
    const attempt: WebhookSendAttempt = {
      // Carries the event's creation time, the key the attempt is stored under: a lookup by id reads one day.
      id: timeOrderedId(event.creationTime),
      deliveryId: delivery.id,
      webhookEventId: event.id,
      webhookSubscriptionId: subscription.id,
      tenantId: delivery.tenantId,
      attemptNumber,
      succeeded: decision.kind === 'succeeded',
      responseStatusCode: result.statusCode,
      response: result.responseBody,
      requestHeaders: this.redactor.redact(headers),
      responseHeaders: result.responseHeaders && this.redactor.redact(result.responseHeaders),
      durationMs: result.durationMs,
      error: result.error,
      creationTime: new Date(),
    };
    const transition = deliveryAfter(decision, Date.now());
    const { consecutiveFailures } = await this.attempts.record(attempt, transition);
    this.log(context, attemptNumber, result, decision);
    this.observers.notify('attemptRecorded', {
      tenantId: delivery.tenantId,
      webhookEventId: event.id,
      subscriptionId: subscription.id,
      deliveryId: delivery.id,
      attempt: attemptNumber,
      succeeded: decision.kind === 'succeeded',
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      deliveryState: transition.state,
      eventCreationTime: event.creationTime,
      sentAt,
    });
    const run = (outcome: DeliveryRunOutcome): DeliveryRunResult => ({ outcome, attempt });

    const deactivation = deactivationAfter(answer, consecutiveFailures, this.options);
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
      const state = deliveryAfterDeactivation(decision);
      if (state !== 'abandoned') return run(decision);
      this.notifyAbandoned(delivery, event.id);
      return run({ kind: 'abandoned', attempt: attemptNumber });
    }
    return run(decision);
  }

  /**
   * Reads the delivery, checks that it is still to be sent here, then signs and sends it, and decides what its
   * answer means (the delivery lifecycle).
   */
  private async send(deliveryId: string, policy: DeliveryRunPolicy, awaitingAnswer = justWait): Promise<SendOutcome> {
    const context = await this.deliveries.getSendContext(deliveryId);
    if (!context) return { skipped: 'delivery not found' };
    const { delivery, event, subscription } = context;
    if (delivery.state !== 'pending') return { skipped: `delivery is ${delivery.state}` };
    if (!subscription || !(subscription.isActive || policy.sendToInactiveSubscription)) {
      if (deliveryWithoutSubscription() === 'abandoned') await this.deliveries.abandon(delivery.id);
      this.notifyAbandoned(delivery, event.id);
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
    const result = await awaitingAnswer(() => this.sender.send({ uri: subscription.webhookUri, body, headers, timeoutMs }));
    const answer: AttemptAnswer = {
      statusCode: result.statusCode,
      retryAfterMs: result.retryAfterMs,
      timedOut: result.statusCode === null && result.durationMs >= timeoutMs - TIMEOUT_MARGIN_MS,
    };
    const decision = decideAttempt(answer, delivery, {
      ...this.options,
      maxAttempts: subscription.maxSendAttemptCount ?? this.options.maxSendAttemptCount,
      retryOnFailure: policy.retryOnFailure ?? true,
    });
    return { context: { delivery, event, subscription }, attemptNumber, headers, sentAt, result, answer, decision };
  }

  private notifyAbandoned(delivery: DeliverySendContext['delivery'], webhookEventId: string): void {
    this.observers.notify('deliveryAbandoned', {
      tenantId: delivery.tenantId,
      webhookEventId,
      subscriptionId: delivery.webhookSubscriptionId,
      deliveryId: delivery.id,
    });
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
        scheme: subscription.signatureScheme,
        webhookId: deliveryId,
        timestamp: Math.floor(Date.now() / 1000),
      }),
    };
  }

  private log(context: DeliverySendContext, attempt: number, result: WebhookSendResult, outcome: AttemptDecision): void {
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
