import type { DeliveryState } from './webhook-model';

/**
 * The delivery lifecycle and an endpoint's circuit breaker, as pure decisions: what an attempt's answer does
 * to its delivery (pending → succeeded / failed / abandoned, or pending again after a delay), when the
 * subscription is deactivated, when the endpoint is paused, and how the breaker moves. The stores and the
 * dispatcher persist what these functions decide; nothing here reads a clock or a database.
 */

/** What one attempt's answer looked like, as far as the lifecycle cares. */
export interface AttemptAnswer {
  /** Null when no answer came (timeout, refused connection...). */
  statusCode: number | null;
  /** The receiver's Retry-After, when it sent one with a 429 or 503. */
  retryAfterMs: number | null;
  /** No answer came before the send's timeout. */
  timedOut: boolean;
}

/** The delivery as the attempt found it. */
export interface AttemptedDelivery {
  /** Attempts made before this one. */
  attemptCount: number;
  /** The attempt count when it was last reopened by hand: the budget counts from there. */
  attemptBase: number;
}

export interface RetrySchedule {
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  retryAfterMaxMs: number;
}

export interface AttemptRules extends RetrySchedule {
  /** Attempts per delivery, the first included (the subscription's own or the global one). */
  maxAttempts: number;
  /** False for a one-off send (a test send): a failure is final. */
  retryOnFailure: boolean;
}

/** Where an attempt leaves its delivery. */
export type AttemptDecision =
  | { kind: 'succeeded'; attempt: number }
  | { kind: 'failed'; attempt: number }
  | { kind: 'retry'; attempt: number; delayMs: number };

export const isSuccessStatus = (status: number | null): boolean => status !== null && status >= 200 && status < 300;

/** Statuses whose Retry-After sets the next delay and pauses the endpoint. */
export const honoursRetryAfter = (status: number | null): boolean => status === 429 || status === 503;

/**
 * Delay before the attempt after `attemptsMade` failed ones: exponential (base · 2^(n-1), capped) with
 * "equal jitter" (half fixed, half random) so a receiver that comes back is not hit by every retry at once.
 * A receiver's Retry-After is honoured as a floor, up to retryAfterMaxMs.
 */
export function retryDelayMs(
  attemptsMade: number,
  options: RetrySchedule,
  retryAfterMs: number | null = null,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(options.retryMaxDelayMs, options.retryBaseDelayMs * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = Math.round(exponential / 2 + random() * (exponential / 2));
  return retryAfterMs === null ? jittered : Math.max(jittered, Math.min(retryAfterMs, options.retryAfterMaxMs));
}

/** pending → succeeded on a 2xx; → failed on 410, an exhausted budget or a one-off send; else pending again later. */
export function decideAttempt(
  answer: AttemptAnswer,
  delivery: AttemptedDelivery,
  rules: AttemptRules,
  random: () => number = Math.random,
): AttemptDecision {
  const attempt = delivery.attemptCount + 1;
  if (isSuccessStatus(answer.statusCode)) return { kind: 'succeeded', attempt };
  const attemptInBudget = attempt - delivery.attemptBase;
  if (answer.statusCode === 410 || attemptInBudget >= rules.maxAttempts || !rules.retryOnFailure) {
    return { kind: 'failed', attempt };
  }
  return { kind: 'retry', attempt, delayMs: retryDelayMs(attemptInBudget, rules, answer.retryAfterMs, random) };
}

/** The state and due time an attempt's decision stores on its delivery. */
export function deliveryAfter(decision: AttemptDecision, now: number): { state: DeliveryState; nextAttemptAt: Date | null } {
  if (decision.kind === 'retry') return { state: 'pending', nextAttemptAt: new Date(now + decision.delayMs) };
  return { state: decision.kind, nextAttemptAt: null };
}

/** A pending delivery whose subscription is inactive or gone is abandoned, never sent. */
export const deliveryWithoutSubscription = (): DeliveryState => 'abandoned';

export type DeactivationReasonKind = 'gone' | 'consecutive_failures';

export interface DeactivationRules {
  isAutomaticSubscriptionDeactivationEnabled: boolean;
  maxConsecutiveFailCountBeforeDeactivateSubscription: number;
}

/** ABP's rule: a 410 Gone, or too many failed attempts in a row, deactivates the subscription. */
export function deactivationAfter(
  answer: Pick<AttemptAnswer, 'statusCode'>,
  consecutiveFailures: number,
  rules: DeactivationRules,
): { kind: DeactivationReasonKind; reason: string } | null {
  if (isSuccessStatus(answer.statusCode)) return null;
  if (answer.statusCode === 410) return { kind: 'gone', reason: 'The receiver answered 410 Gone' };
  const limit = rules.maxConsecutiveFailCountBeforeDeactivateSubscription;
  if (rules.isAutomaticSubscriptionDeactivationEnabled && consecutiveFailures >= limit) {
    return { kind: 'consecutive_failures', reason: `${consecutiveFailures} consecutive failed attempts (limit ${limit})` };
  }
  return null;
}

/**
 * Where a deactivation leaves the delivery whose attempt caused it: one waiting for a retry is abandoned with
 * the subscription's other pending deliveries; one that had already failed for good stays failed.
 */
export const deliveryAfterDeactivation = (decision: AttemptDecision): DeliveryState =>
  decision.kind === 'retry' ? 'abandoned' : decision.kind;

/** Until when a 429 or 503 with Retry-After pauses the whole endpoint (ms since the epoch), or null. */
export function endpointPausedUntil(
  answer: AttemptAnswer,
  now: number,
  rules: Pick<RetrySchedule, 'retryAfterMaxMs'>,
): number | null {
  if (!honoursRetryAfter(answer.statusCode) || answer.retryAfterMs === null || answer.retryAfterMs <= 0) return null;
  return now + Math.min(answer.retryAfterMs, rules.retryAfterMaxMs);
}

/** An endpoint's circuit breaker. Distinct from deactivation: it only holds deliveries back for a while. */
export type BreakerState =
  | { kind: 'closed' }
  /** No attempt goes until `until`; then one probe (half-open). */
  | { kind: 'open'; since: number; until: number }
  /** One probe is allowed; its answer closes or reopens the breaker. */
  | { kind: 'half-open'; since: number };

export interface BreakerRules {
  /** Opens when at least this share (0-1) of the window's attempts failed... */
  breakerFailureRate: number;
  /** ...and the window holds at least this many attempts. */
  breakerMinAttempts: number;
  /** The sliding window the rate is measured over. */
  breakerWindowMs: number;
  /** Also opens after this many timeouts in a row (0: never on that count). */
  breakerTimeoutsInRow: number;
  /** How long it stays open before the half-open probe. */
  breakerCooldownMs: number;
}

/** The endpoint's recent attempts, the one just made included. */
export interface EndpointWindow {
  attempts: number;
  failures: number;
  timeoutsInRow: number;
}

export type AttemptResult = 'succeeded' | 'failed';

/**
 * The breaker after an attempt: closed → open on the failure rate or the run of timeouts; half-open → closed
 * on the probe's success, → open again on its failure. Null when it stays as it was.
 */
export function breakerAfterAttempt(
  state: BreakerState,
  result: AttemptResult,
  window: EndpointWindow,
  now: number,
  rules: BreakerRules,
): BreakerState | null {
  const open: BreakerState = { kind: 'open', since: now, until: now + rules.breakerCooldownMs };
  if (state.kind === 'half-open') return result === 'succeeded' ? { kind: 'closed' } : open;
  if (state.kind === 'open' || result === 'succeeded') return null;
  const tooManyTimeouts = rules.breakerTimeoutsInRow > 0 && window.timeoutsInRow >= rules.breakerTimeoutsInRow;
  const failureRate =
    window.attempts >= rules.breakerMinAttempts && window.failures >= window.attempts * rules.breakerFailureRate;
  return tooManyTimeouts || failureRate ? open : null;
}

/** The breaker as time moves on: an open one whose cool-down is over admits a probe (half-open). */
export function breakerAt(state: BreakerState, now: number): BreakerState {
  return state.kind === 'open' && now >= state.until ? { kind: 'half-open', since: state.until } : state;
}
