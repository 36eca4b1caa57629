import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** Polls until `condition` holds; fails with `message` after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  {
    timeoutMs = 15_000,
    intervalMs = 25,
    message = () => 'condition not met',
  }: {
    timeoutMs?: number;
    intervalMs?: number;
    message?: () => string;
  } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${message()}`);
    await sleep(intervalMs);
  }
}
