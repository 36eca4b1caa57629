import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AttemptAnswer,
  BreakerRules,
  BreakerState,
  breakerAfterAttempt,
  breakerAt,
  deactivationAfter,
  decideAttempt,
  deliveryAfter,
  deliveryAfterDeactivation,
  deliveryWithoutSubscription,
  endpointPausedUntil,
} from './delivery-lifecycle';

const rules = { retryBaseDelayMs: 1000, retryMaxDelayMs: 10_000, retryAfterMaxMs: 60_000, maxAttempts: 3, retryOnFailure: true };
const answer = (statusCode: number | null, extra: Partial<AttemptAnswer> = {}): AttemptAnswer => ({
  statusCode,
  retryAfterMs: null,
  timedOut: false,
  ...extra,
});
const fresh = { attemptCount: 0, attemptBase: 0 };
const half = () => 0.5;

describe('delivery lifecycle: an attempt moves its delivery', () => {
  it('pending → succeeded on a 2xx', () => {
    const decision = decideAttempt(answer(204), fresh, rules);
    assert.deepEqual(decision, { kind: 'succeeded', attempt: 1 });
    assert.deepEqual(deliveryAfter(decision, 0), { state: 'succeeded', nextAttemptAt: null });
  });

  it('pending → pending (a retry after the schedule’s delay) on a failure within the budget', () => {
    const decision = decideAttempt(answer(500), fresh, rules, half);
    assert.deepEqual(decision, { kind: 'retry', attempt: 1, delayMs: 750 });
    assert.deepEqual(deliveryAfter(decision, 1000), { state: 'pending', nextAttemptAt: new Date(1750) });
  });

  it('honours a Retry-After as the floor of that delay', () => {
    assert.deepEqual(decideAttempt(answer(429, { retryAfterMs: 5000 }), fresh, rules, half), {
      kind: 'retry',
      attempt: 1,
      delayMs: 5000,
    });
  });

  it('pending → failed when the budget is spent, counted from the last reopening', () => {
    assert.deepEqual(decideAttempt(answer(500), { attemptCount: 2, attemptBase: 0 }, rules), { kind: 'failed', attempt: 3 });
    assert.equal(decideAttempt(answer(500), { attemptCount: 2, attemptBase: 2 }, rules, half).kind, 'retry');
  });

  it('pending → failed at once on 410 Gone, or for a one-off send', () => {
    assert.deepEqual(decideAttempt(answer(410), fresh, rules), { kind: 'failed', attempt: 1 });
    assert.deepEqual(decideAttempt(answer(null), fresh, { ...rules, retryOnFailure: false }), { kind: 'failed', attempt: 1 });
    assert.deepEqual(deliveryAfter({ kind: 'failed', attempt: 1 }, 0), { state: 'failed', nextAttemptAt: null });
  });

  it('pending → abandoned when its subscription is inactive or gone', () => {
    assert.equal(deliveryWithoutSubscription(), 'abandoned');
  });
});

describe('delivery lifecycle: deactivation', () => {
  const deactivation = {
    isAutomaticSubscriptionDeactivationEnabled: true,
    maxConsecutiveFailCountBeforeDeactivateSubscription: 3,
  };

  it('deactivates on 410 Gone and on the run of failures reaching the limit, never on a success', () => {
    assert.equal(deactivationAfter(answer(410), 1, deactivation)?.kind, 'gone');
    assert.equal(deactivationAfter(answer(500), 2, deactivation), null);
    assert.equal(deactivationAfter(answer(500), 3, deactivation)?.kind, 'consecutive_failures');
    assert.equal(deactivationAfter(answer(200), 3, deactivation), null);
    assert.equal(deactivationAfter(answer(500), 3, { ...deactivation, isAutomaticSubscriptionDeactivationEnabled: false }), null);
  });

  it('abandons the delivery that was to be retried, and leaves a failed one failed', () => {
    assert.equal(deliveryAfterDeactivation({ kind: 'retry', attempt: 2, delayMs: 10 }), 'abandoned');
    assert.equal(deliveryAfterDeactivation({ kind: 'failed', attempt: 1 }), 'failed');
  });
});

describe('delivery lifecycle: endpoint pause', () => {
  it('pauses the endpoint on a 429 or 503 with Retry-After, up to the bound', () => {
    assert.equal(endpointPausedUntil(answer(429, { retryAfterMs: 2000 }), 1000, rules), 3000);
    assert.equal(endpointPausedUntil(answer(503, { retryAfterMs: 10 ** 9 }), 0, rules), 60_000);
    assert.equal(endpointPausedUntil(answer(429), 0, rules), null);
    assert.equal(endpointPausedUntil(answer(500, { retryAfterMs: 2000 }), 0, rules), null);
  });
});

describe('delivery lifecycle: circuit breaker', () => {
  const breaker: BreakerRules = {
    breakerFailureRate: 0.5,
    breakerMinAttempts: 20,
    breakerWindowMs: 60_000,
    breakerTimeoutsInRow: 5,
    breakerCooldownMs: 30_000,
  };
  const closed: BreakerState = { kind: 'closed' };
  const window = (attempts: number, failures: number, timeoutsInRow = 0) => ({ attempts, failures, timeoutsInRow });

  it('closed → open when at least half of at least 20 recent attempts failed', () => {
    assert.deepEqual(breakerAfterAttempt(closed, 'failed', window(20, 10), 1000, breaker), {
      kind: 'open',
      since: 1000,
      until: 31_000,
    });
    assert.equal(breakerAfterAttempt(closed, 'failed', window(19, 19), 1000, breaker), null, 'too few attempts');
    assert.equal(breakerAfterAttempt(closed, 'failed', window(20, 9), 1000, breaker), null, 'rate below the threshold');
  });

  it('closed → open after N timeouts in a row, whatever the rate', () => {
    assert.equal(breakerAfterAttempt(closed, 'failed', window(5, 5, 5), 0, breaker)?.kind, 'open');
    assert.equal(breakerAfterAttempt(closed, 'failed', window(5, 5, 4), 0, breaker), null);
    assert.equal(breakerAfterAttempt(closed, 'failed', window(5, 5, 9), 0, { ...breaker, breakerTimeoutsInRow: 0 }), null);
  });

  it('stays closed on a success', () => {
    assert.equal(breakerAfterAttempt(closed, 'succeeded', window(30, 29), 0, breaker), null);
  });

  it('open → half-open once the cool-down is over, not before', () => {
    const open: BreakerState = { kind: 'open', since: 0, until: 30_000 };
    assert.deepEqual(breakerAt(open, 29_999), open);
    assert.deepEqual(breakerAt(open, 30_000), { kind: 'half-open', since: 30_000 });
    assert.deepEqual(breakerAt(closed, 30_000), closed);
  });

  it('half-open → closed on the probe’s success, → open again on its failure', () => {
    const halfOpen: BreakerState = { kind: 'half-open', since: 30_000 };
    assert.deepEqual(breakerAfterAttempt(halfOpen, 'succeeded', window(1, 0), 31_000, breaker), { kind: 'closed' });
    assert.deepEqual(breakerAfterAttempt(halfOpen, 'failed', window(1, 1), 31_000, breaker), {
      kind: 'open',
      since: 31_000,
      until: 61_000,
    });
  });

  it('an open breaker is not moved by a late answer', () => {
    assert.equal(breakerAfterAttempt({ kind: 'open', since: 0, until: 9 }, 'failed', window(40, 40), 1, breaker), null);
  });
});
