import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  DEFAULT_WEBHOOKS_OPTIONS,
  HeaderRedactor,
  timeOfTimeOrderedId,
  type WebhookSignatureInput,
  type WebhookSigner,
} from '@hookline/webhooks-core';
import type { BreakerState, EndpointWindow } from '../domain/delivery-lifecycle';
import type { WebhookEvent, WebhookSendAttempt } from '../domain/webhook-model';
import type {
  ClaimedDelivery,
  DeliveryDispatch,
  DispatchItem,
  EndpointAfterSend,
  SendReport,
  BreakerMove,
} from '../domain/ports/delivery-dispatch';
import type {
  DeliverySendContext,
  DeliveryTransition,
  SubscriptionSendSettings,
  WebhookDeliveryStore,
} from '../domain/ports/webhook-delivery.store';
import type { WebhookSendAttemptStore } from '../domain/ports/webhook-send-attempt.store';
import type { WebhookSubscriptionStore } from '../domain/ports/webhook-subscription.store';
import type { WebhookObservers } from '../observation/webhook-observer';
import { WebhookDeliveryService } from './webhook-delivery.service';
import type { WebhookSendRequest, WebhookSendResult, WebhookSender } from './webhook-sender';

const OPTIONS = {
  ...DEFAULT_WEBHOOKS_OPTIONS,
  maxSendAttemptCount: 3,
  maxConsecutiveFailCountBeforeDeactivateSubscription: 4,
  retryBaseDelayMs: 1_000,
  retryAfterMaxMs: 60_000,
  breakerMinAttempts: 4,
  timeoutDuration: 10,
  userAgent: 'Hookline-Test',
};

const event: WebhookEvent = {
  id: 'event-1',
  tenantId: 'acme',
  webhookName: 'order.created',
  data: '{"orderId":1}',
  sendExactSameData: false,
  headers: null,
  useOnlyGivenHeaders: false,
  creationTime: new Date('2026-12-01T10:00:00.000Z'),
};

const settings = (over: Partial<SubscriptionSendSettings> = {}): SubscriptionSendSettings => ({
  id: 'sub-1',
  webhookUri: 'https://receiver.example/hooks',
  secret: 'whsec_current',
  signatureScheme: 'hmac-sha256',
  previousSecret: null,
  previousSecretExpiresAt: null,
  headers: {},
  isActive: true,
  timeoutDuration: null,
  maxSendAttemptCount: null,
  maxConcurrentSends: 4,
  rateLimitPerSecond: null,
  ...over,
});

const answer = (over: Partial<WebhookSendResult> = {}): WebhookSendResult => ({
  statusCode: 200,
  responseBody: 'ok',
  responseHeaders: { 'content-type': 'text/plain' },
  durationMs: 12,
  error: null,
  retryAfterMs: null,
  ...over,
});

const claim: ClaimedDelivery = {
  deliveryId: 'delivery-1',
  subscriptionId: 'sub-1',
  tenantId: 'acme',
  lane: 'first',
  lease: 'lease-1',
  leaseUntil: Number.MAX_SAFE_INTEGER,
};

/** In-memory ports: they answer what each test sets, and write down what the service asked of them. */
class Ports {
  calls: string[] = [];
  context: DeliverySendContext | null = {
    delivery: {
      id: 'delivery-1',
      webhookSubscriptionId: 'sub-1',
      tenantId: 'acme',
      state: 'pending',
      attemptCount: 0,
      attemptBase: 0,
    },
    event,
    subscription: settings(),
  };
  result = answer();
  consecutiveFailures = 0;
  afterSend: EndpointAfterSend = { claimHeld: false };
  sent: WebhookSendRequest[] = [];
  signed: WebhookSignatureInput[] = [];
  recorded: { attempt: WebhookSendAttempt; transition: DeliveryTransition }[] = [];
  reports: SendReport[] = [];
  releases: { claim: ClaimedDelivery; move: BreakerMove | null }[] = [];
  retries: { item: DispatchItem; delayMs: number }[] = [];
  abandoned: string[] = [];
  deactivated: { id: string; reason: string }[] = [];
  observed: { hook: string; [field: string]: unknown }[] = [];

  readonly deliveries = {
    getSendContext: async () => this.context,
    abandon: async (id: string) => {
      this.calls.push('abandon');
      this.abandoned.push(id);
    },
  } as unknown as WebhookDeliveryStore;

  readonly attempts = {
    record: async (attempt: WebhookSendAttempt, transition: DeliveryTransition) => {
      this.calls.push('record');
      this.recorded.push({ attempt, transition });
      return { consecutiveFailures: this.consecutiveFailures };
    },
  } as unknown as WebhookSendAttemptStore;

  readonly subscriptions = {
    deactivate: async (id: string, reason: string) => {
      this.calls.push('deactivate');
      this.deactivated.push({ id, reason });
    },
  } as unknown as WebhookSubscriptionStore;

  readonly sender = {
    send: async (request: WebhookSendRequest) => {
      this.calls.push('send');
      this.sent.push(request);
      return this.result;
    },
  } as unknown as WebhookSender;

  readonly signer = {
    sign: (input: WebhookSignatureInput) => {
      this.signed.push(input);
      return { 'webhook-id': input.webhookId, 'webhook-signature': `v1,${input.secrets.join('+')}` };
    },
  } as unknown as WebhookSigner;

  readonly observers = {
    notify: (hook: string, observation: object) => this.observed.push({ hook, ...observation }),
  } as unknown as WebhookObservers;

  readonly dispatch = {
    report: async (report: SendReport) => {
      this.calls.push('report');
      this.reports.push(report);
      return this.afterSend;
    },
    release: async (claim: ClaimedDelivery, move: BreakerMove | null) => {
      this.calls.push('release');
      this.releases.push({ claim, move });
    },
    end: async () => {
      this.calls.push('end');
    },
    retryLater: async (item: DispatchItem, delayMs: number) => {
      this.calls.push('retry later');
      this.retries.push({ item, delayMs });
      return true;
    },
  } as unknown as DeliveryDispatch;

  /** The delivery as the next run reads it. */
  deliveryIs(over: Partial<DeliverySendContext['delivery']>): void {
    this.context = { ...this.context!, delivery: { ...this.context!.delivery, ...over } };
  }

  subscriptionIs(subscription: SubscriptionSendSettings | null): void {
    this.context = { ...this.context!, subscription };
  }

  eventIs(over: Partial<WebhookEvent>): void {
    this.context = { ...this.context!, event: { ...event, ...over } };
  }
}

describe('WebhookDeliveryService', () => {
  let ports: Ports;
  let service: WebhookDeliveryService;
  beforeEach(() => {
    ports = new Ports();
    service = new WebhookDeliveryService(
      OPTIONS,
      ports.deliveries,
      ports.attempts,
      ports.subscriptions,
      ports.sender,
      ports.signer,
      ports.observers,
      ports.dispatch,
      new HeaderRedactor(),
    );
  });

  it('sends the signed envelope to the endpoint, reports the answer before recording a succeeded attempt, then ends the claim, scheduling no retry', async () => {
    const outcome = await service.runClaimed(claim);
    assert.deepEqual(outcome, { kind: 'succeeded', attempt: 1 });
    assert.deepEqual(ports.calls, ['send', 'report', 'record', 'end']);
    const [request] = ports.sent;
    assert.equal(request.uri, 'https://receiver.example/hooks');
    assert.equal(request.timeoutMs, OPTIONS.timeoutDuration * 1000);
    const body = JSON.parse(request.body);
    assert.deepEqual(body, {
      id: 'event-1',
      webhookEvent: 'order.created',
      attempt: 1,
      data: { orderId: 1 },
      creationTimeUtc: '2026-12-01T10:00:00.000Z',
    });
    assert.deepEqual(
      ports.signed.map((s) => [s.body, s.webhookId, s.secrets]),
      [[request.body, 'delivery-1', ['whsec_current']]],
    );
    const [{ attempt, transition }] = ports.recorded;
    assert.deepEqual(
      [attempt.deliveryId, attempt.webhookEventId, attempt.webhookSubscriptionId, attempt.tenantId, attempt.attemptNumber],
      ['delivery-1', 'event-1', 'sub-1', 'acme', 1],
    );
    assert.deepEqual([attempt.succeeded, attempt.responseStatusCode, attempt.response], [true, 200, 'ok']);
    // The attempt's id carries its event's time, as the history's partitions require.
    assert.equal(timeOfTimeOrderedId(attempt.id)?.getTime(), event.creationTime.getTime());
    assert.deepEqual(transition, { state: 'succeeded', nextAttemptAt: null });
    assert.deepEqual(ports.reports, [
      { claim, limits: { concurrency: 4, ratePerSecond: null }, result: 'succeeded', timedOut: false, pauseUntil: null },
    ]);
    assert.deepEqual(ports.retries, []);
    assert.deepEqual(
      ports.observed.map((o) => [o.hook, o.attempt, o.succeeded, o.deliveryState]),
      [['attemptRecorded', 1, true, 'succeeded']],
    );
  });

  it("merges headers case-insensitively (the event's over the subscription's over the user agent), never over the content type or the signature, and records credentials redacted", async () => {
    ports.subscriptionIs(settings({ headers: { 'X-Team': 'subscription', Authorization: 'Bearer s3cret', 'X-Only-Sub': '1' } }));
    ports.eventIs({
      headers: { 'x-team': 'event', 'User-Agent': 'Shop/2', 'Content-Type': 'text/plain', 'Webhook-Signature': 'forged' },
    });
    await service.runClaimed(claim);
    const sent = ports.sent[0].headers;
    assert.equal(sent['x-team'], 'event');
    assert.equal(sent['x-only-sub'], '1');
    assert.equal(sent['user-agent'], 'Shop/2');
    assert.equal(sent['authorization'], 'Bearer s3cret');
    assert.equal(sent['content-type'], 'application/json; charset=utf-8');
    assert.equal(sent['webhook-signature'], 'v1,whsec_current');
    assert.ok(!('X-Team' in sent) && !('User-Agent' in sent), 'no header is sent under two spellings');
    const recorded = ports.recorded[0].attempt.requestHeaders;
    assert.equal(recorded['authorization'], '[redacted]');
    assert.equal(recorded['x-team'], 'event');
  });

  it("sends only the event's headers when it says so", async () => {
    ports.subscriptionIs(settings({ headers: { 'x-only-sub': '1' } }));
    ports.eventIs({ headers: { 'x-from-event': '1' }, useOnlyGivenHeaders: true });
    await service.runClaimed(claim);
    const sent = ports.sent[0].headers;
    assert.equal(sent['x-from-event'], '1');
    assert.equal(sent['user-agent'], 'Hookline-Test');
    assert.ok(!('x-only-sub' in sent));
  });

  it('signs with the previous secret beside the current one while its overlap lasts, and with the current one alone after', async () => {
    ports.subscriptionIs(settings({ previousSecret: 'whsec_old', previousSecretExpiresAt: new Date(Date.now() + 60_000) }));
    await service.runClaimed(claim);
    ports.subscriptionIs(settings({ previousSecret: 'whsec_old', previousSecretExpiresAt: new Date(Date.now() - 1) }));
    await service.runClaimed(claim);
    assert.deepEqual(
      ports.signed.map((s) => s.secrets),
      [['whsec_current', 'whsec_old'], ['whsec_current']],
    );
  });

  it('leaves a failed delivery pending for a retry while its budget lasts, and schedules the retry only once the claim is reported, released and ended', async () => {
    ports.result = answer({ statusCode: 500, responseBody: 'boom' });
    ports.afterSend = { claimHeld: true, breaker: { kind: 'closed' }, window: { attempts: 1, failures: 1, timeoutsInRow: 0 } };
    const before = Date.now();
    const outcome = await service.runClaimed(claim);
    assert.equal(outcome.kind, 'retry');
    const { delayMs } = outcome as { delayMs: number };
    // Equal jitter over the base delay of the first retry.
    assert.ok(delayMs >= OPTIONS.retryBaseDelayMs / 2 && delayMs <= OPTIONS.retryBaseDelayMs, `${delayMs}`);
    assert.deepEqual(ports.calls, ['send', 'report', 'release', 'record', 'end', 'retry later']);
    const [{ attempt, transition }] = ports.recorded;
    assert.equal(attempt.succeeded, false);
    assert.equal(transition.state, 'pending');
    assert.ok(transition.nextAttemptAt!.getTime() >= before + delayMs);
    assert.equal(ports.reports[0].result, 'failed');
    assert.deepEqual(ports.retries, [{ item: { deliveryId: 'delivery-1', subscriptionId: 'sub-1', tenantId: 'acme' }, delayMs }]);
  });

  it("fails a delivery for good once its budget, counted from its last reopening, is spent (the subscription's own limit first)", async () => {
    ports.result = answer({ statusCode: 500 });
    ports.subscriptionIs(settings({ maxSendAttemptCount: 5 }));
    ports.deliveryIs({ attemptCount: 6, attemptBase: 3 });
    assert.equal((await service.runClaimed(claim)).kind, 'retry');
    ports.deliveryIs({ attemptCount: 6, attemptBase: 2 });
    assert.deepEqual(await service.runClaimed(claim), { kind: 'failed', attempt: 7 });
    assert.deepEqual(ports.recorded[1].transition, { state: 'failed', nextAttemptAt: null });
    assert.equal(ports.retries.length, 1);
  });

  it('deactivates the subscription on a 410 Gone and fails the delivery', async () => {
    ports.result = answer({ statusCode: 410 });
    const outcome = await service.runClaimed(claim);
    assert.deepEqual(outcome, { kind: 'failed', attempt: 1 });
    assert.deepEqual(ports.deactivated, [{ id: 'sub-1', reason: 'The receiver answered 410 Gone' }]);
    assert.deepEqual(
      ports.observed.map((o) => [o.hook, o.reasonKind]),
      [
        ['attemptRecorded', undefined],
        ['subscriptionDeactivated', 'gone'],
      ],
    );
    assert.deepEqual(ports.retries, []);
  });

  it('deactivates the subscription after too many failures in a row, abandoning the delivery instead of retrying it', async () => {
    ports.result = answer({ statusCode: 500 });
    ports.consecutiveFailures = OPTIONS.maxConsecutiveFailCountBeforeDeactivateSubscription;
    const outcome = await service.runClaimed(claim);
    assert.deepEqual(outcome, { kind: 'abandoned', attempt: 1 });
    assert.equal(ports.deactivated.length, 1);
    assert.deepEqual(
      ports.observed.map((o) => o.hook),
      ['attemptRecorded', 'subscriptionDeactivated', 'deliveryAbandoned'],
    );
    assert.deepEqual(ports.retries, []);
  });

  it('keeps the subscription while its failures in a row stay under the limit', async () => {
    ports.result = answer({ statusCode: 500 });
    ports.consecutiveFailures = OPTIONS.maxConsecutiveFailCountBeforeDeactivateSubscription - 1;
    assert.equal((await service.runClaimed(claim)).kind, 'retry');
    assert.deepEqual(ports.deactivated, []);
  });

  const skips: [string, (p: Ports) => void, string, boolean][] = [
    ['a delivery that is gone', (p) => (p.context = null), 'delivery not found', false],
    ['a delivery no longer pending', (p) => p.deliveryIs({ state: 'succeeded' }), 'delivery is succeeded', false],
    [
      'an inactive subscription',
      (p) => p.subscriptionIs(settings({ isActive: false })),
      'subscription is inactive or deleted',
      true,
    ],
    ['a deleted subscription', (p) => p.subscriptionIs(null), 'subscription is inactive or deleted', true],
  ];
  for (const [what, given, reason, abandons] of skips) {
    it(`sends nothing for ${what}, reporting the claim as skipped${abandons ? ' and abandoning the delivery' : ''}`, async () => {
      given(ports);
      assert.deepEqual(await service.runClaimed(claim), { kind: 'skipped', reason });
      assert.deepEqual(ports.sent, []);
      assert.deepEqual(ports.recorded, []);
      assert.deepEqual(ports.abandoned, abandons ? ['delivery-1'] : []);
      assert.deepEqual(
        ports.observed.map((o) => o.hook),
        abandons ? ['deliveryAbandoned'] : [],
      );
      assert.deepEqual(
        ports.reports.map((r) => [r.result, r.pauseUntil, r.limits]),
        [['skipped', null, { concurrency: null, ratePerSecond: null }]],
      );
    });
  }

  it('sends a test send to an inactive subscription once: its failure is final, with no retry', async () => {
    ports.subscriptionIs(settings({ isActive: false }));
    ports.result = answer({ statusCode: 500 });
    const run = await service.attemptNow('delivery-1', { sendToInactiveSubscription: true, retryOnFailure: false });
    assert.deepEqual(run.outcome, { kind: 'failed', attempt: 1 });
    assert.equal(ports.sent.length, 1);
    assert.deepEqual(ports.abandoned, []);
    assert.deepEqual(ports.recorded[0].transition, { state: 'failed', nextAttemptAt: null });
    assert.deepEqual(ports.retries, []);
    assert.deepEqual(ports.reports, [], 'an attempt outside the scheduler reports no claim');
  });

  it('a resend now retries later as the scheduler would, outside any claim', async () => {
    ports.result = answer({ statusCode: 503 });
    const run = await service.attemptNow('delivery-1');
    assert.equal(run.outcome.kind, 'retry');
    assert.deepEqual(ports.calls, ['send', 'record', 'retry later']);
  });

  it("reports a send left unanswered up to its timeout (the subscription's own) as timed out, and a quick refusal as not", async () => {
    ports.subscriptionIs(settings({ timeoutDuration: 2 }));
    ports.result = answer({ statusCode: null, responseBody: null, responseHeaders: null, durationMs: 1_997, error: 'timeout' });
    await service.runClaimed(claim);
    ports.result = answer({ statusCode: null, responseBody: null, responseHeaders: null, durationMs: 3, error: 'ECONNREFUSED' });
    await service.runClaimed(claim);
    assert.equal(ports.sent[0].timeoutMs, 2_000);
    assert.deepEqual(
      ports.reports.map((r) => [r.result, r.timedOut]),
      [
        ['failed', true],
        ['failed', false],
      ],
    );
  });

  it("pauses the endpoint for a 429's Retry-After, capped at retryAfterMaxMs", async () => {
    const before = Date.now();
    ports.result = answer({ statusCode: 429, retryAfterMs: 5_000 });
    await service.runClaimed(claim);
    ports.result = answer({ statusCode: 429, retryAfterMs: 10 * OPTIONS.retryAfterMaxMs });
    await service.runClaimed(claim);
    const after = Date.now();
    const [short, capped] = ports.reports.map((r) => r.pauseUntil!);
    assert.ok(short >= before + 5_000 && short <= after + 5_000, `${short - before}`);
    assert.ok(capped >= before + OPTIONS.retryAfterMaxMs && capped <= after + OPTIONS.retryAfterMaxMs, `${capped - before}`);
  });

  it("opens the endpoint's breaker when the claim is held and the window fails too often, and releases a held claim that moves nothing", async () => {
    const failing: EndpointWindow = { attempts: 4, failures: 3, timeoutsInRow: 0 };
    ports.result = answer({ statusCode: 500 });
    ports.afterSend = { claimHeld: true, breaker: { kind: 'closed' }, window: failing };
    await service.runClaimed(claim);
    ports.afterSend = { claimHeld: true, breaker: { kind: 'closed' }, window: { ...failing, failures: 1 } };
    await service.runClaimed(claim);
    ports.afterSend = { claimHeld: false };
    await service.runClaimed(claim);
    assert.equal(ports.releases.length, 2, 'a claim the report ended is not released again');
    const [opened, unmoved] = ports.releases;
    assert.deepEqual(opened.move!.from, { kind: 'closed' });
    assert.equal((opened.move!.next as BreakerState).kind, 'open');
    assert.equal(unmoved.move, null);
  });

  it("closes a half-open breaker on the probe's success", async () => {
    ports.afterSend = {
      claimHeld: true,
      breaker: { kind: 'half-open', since: 1 },
      window: { attempts: 1, failures: 0, timeoutsInRow: 0 },
    };
    await service.runClaimed(claim);
    assert.deepEqual(ports.releases[0].move, { from: { kind: 'half-open', since: 1 }, next: { kind: 'closed' } });
  });
});
