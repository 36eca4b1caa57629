/** Where the `webhook-id`s of deliveries already handled are kept. */
export interface DedupeStore {
  /** Records `key` for `ttlSeconds`; true when it was not recorded yet (this delivery is new). */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
  /** Forgets `key`, so the next delivery with it is handled (after a failure). */
  release(key: string): Promise<void>;
}

/** Keeps ids in this process's memory: enough for one receiver process; lost on restart. */
export class MemoryDedupeStore implements DedupeStore {
  private readonly expiries = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    const now = this.now();
    const expiresAt = this.expiries.get(key);
    if (expiresAt !== undefined && expiresAt > now) return false;
    // Insertion order is expiry order for one TTL: drop the expired ones from the front.
    for (const [k, at] of this.expiries) {
      if (at > now) break;
      this.expiries.delete(k);
    }
    this.expiries.delete(key);
    this.expiries.set(key, now + ttlSeconds * 1000);
    return true;
  }

  async release(key: string): Promise<void> {
    this.expiries.delete(key);
  }
}

/** The part of a Redis client the Redis store uses (ioredis's signatures). */
export interface RedisDedupeClient {
  set(key: string, value: string, expiryMode: 'EX', seconds: number, condition: 'NX'): Promise<string | null>;
  del(key: string): Promise<number>;
}

/** Keeps ids in Redis (`SET NX EX`), shared by every receiver process. */
export class RedisDedupeStore implements DedupeStore {
  constructor(
    private readonly redis: RedisDedupeClient,
    private readonly prefix = 'hookline:webhook-id:',
  ) {}

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(this.prefix + key, '1', 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX')) === 'OK';
  }

  async release(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}

/** How long an id is remembered by default: longer than Hookline's retries of one delivery last. */
export const DEFAULT_DEDUPE_TTL_SECONDS = 3 * 24 * 60 * 60;

/**
 * Runs a handler once per `webhook-id`: delivery is at-least-once, so the same delivery can arrive again (a
 * retry after a lost answer, a resend). A handler that throws releases the id, so the retry runs it again.
 */
export class WebhookDeduplicator {
  constructor(
    private readonly store: DedupeStore = new MemoryDedupeStore(),
    private readonly ttlSeconds = DEFAULT_DEDUPE_TTL_SECONDS,
  ) {}

  /** Runs `handle` unless `webhookId` was handled already; true when it ran. */
  async once(webhookId: string, handle: () => unknown): Promise<boolean> {
    if (!(await this.store.claim(webhookId, this.ttlSeconds))) return false;
    try {
      await handle();
    } catch (e) {
      await this.store.release(webhookId);
      throw e;
    }
    return true;
  }
}
