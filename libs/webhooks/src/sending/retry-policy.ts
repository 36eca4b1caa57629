/** The retry schedule and the statuses it reads live with the rest of the delivery lifecycle. */
export { honoursRetryAfter, isSuccessStatus, retryDelayMs } from '../domain/delivery-lifecycle';

/** Parses Retry-After (delta seconds or an HTTP date) into milliseconds from `now`; null when absent or bad. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
