import type { WebhooksOptions } from '@hookline/webhooks-core';

type RetryOptions = Pick<WebhooksOptions, 'retryBaseDelayMs' | 'retryMaxDelayMs' | 'retryAfterMaxMs'>;

/**
 * Delay before the attempt after `attemptsMade` failed ones: exponential (base · 2^(n-1), capped) with
 * "equal jitter" (half fixed, half random) so a receiver that comes back is not hit by every retry at once.
 * A receiver's Retry-After is honoured as a floor, up to retryAfterMaxMs.
 */
export function retryDelayMs(
  attemptsMade: number,
  options: RetryOptions,
  retryAfterMs: number | null = null,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(options.retryMaxDelayMs, options.retryBaseDelayMs * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = Math.round(exponential / 2 + random() * (exponential / 2));
  return retryAfterMs === null ? jittered : Math.max(jittered, Math.min(retryAfterMs, options.retryAfterMaxMs));
}

/** Parses Retry-After (delta seconds or an HTTP date) into milliseconds from `now`; null when absent or bad. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export const isSuccessStatus = (status: number | null): boolean => status !== null && status >= 200 && status < 300;

/** Statuses whose Retry-After sets the next delay. */
export const honoursRetryAfter = (status: number | null): boolean => status === 429 || status === 503;
