/** PostgreSQL chose this statement to end a deadlock; its transaction was rolled back, so running it again is safe. */
export const DEADLOCK_DETECTED = '40P01';

export const isDeadlock = (e: unknown): boolean => {
  const error = e as { code?: string; driverError?: { code?: string } } | undefined;
  return error?.code === DEADLOCK_DETECTED || error?.driverError?.code === DEADLOCK_DETECTED;
};

/**
 * Runs a whole transaction again when PostgreSQL ended it to break a deadlock. For writes that lock many rows
 * (deleting many subscriptions' deliveries) while batches of attempts lock some of the same rows.
 */
export async function retryOnDeadlock<T>(transaction: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (e) {
      if (attempt >= attempts || !isDeadlock(e)) throw e;
    }
  }
}
