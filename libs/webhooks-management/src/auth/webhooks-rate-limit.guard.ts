import { Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import {
  ThrottlerException,
  ThrottlerGuard,
  ThrottlerOptions,
  ThrottlerRequest,
  ThrottlerStorage,
  ThrottlerStorageService,
} from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { PRINCIPAL_KEY, WebhooksPrincipal } from './webhooks-principal';

/** How many API requests one credential may make in a window, counted in Redis so every process shares the count. */
export interface WebhooksRateLimitOptions {
  /** Requests per window; 0 turns the limit off. */
  requests: number;
  windowSeconds: number;
  redis: { url: string; prefix: string };
}

/** While Redis cannot be asked, how often the guard says so (it lets requests through meanwhile). */
const WARNING_INTERVAL_MS = 60_000;

/** The throttler's settings as WebhooksRateLimitGuard reads them, with the storage that counts. */
export interface WebhooksThrottlerOptions {
  throttlers: ThrottlerOptions[];
  skipIf?: () => boolean;
  storage: ThrottlerStorage;
  refusals: RefusedCredentialLimit;
}

/**
 * The throttler settings: one limit per credential over every route behind WebhooksApi except those marked
 * @SkipThrottle() (publishing: the data path, not administration). Its Redis client fails fast rather than queue
 * commands while Redis is away, so the guard can let requests through instead of holding them.
 */
export function webhooksThrottlerOptions(options: WebhooksRateLimitOptions | null): WebhooksThrottlerOptions {
  if (!options?.requests)
    return {
      throttlers: [{ limit: 1, ttl: 1 }],
      skipIf: () => true,
      storage: new ThrottlerStorageService(),
      refusals: new RefusedCredentialLimit(null, 0, 0),
    };
  // Given the URL (not a client), the storage closes its connection when the application stops.
  const storage = new ThrottlerStorageRedisService(options.redis.url, {
    keyPrefix: `${options.redis.prefix}:rate-limit:`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  // Connection errors surface as failed counts, which the guard reports; without a listener ioredis prints each.
  storage.redis.on('error', () => undefined);
  const ttl = options.windowSeconds * 1000;
  return {
    throttlers: [{ limit: options.requests, ttl }],
    storage,
    refusals: new RefusedCredentialLimit(storage.redis as Redis, options.requests, ttl),
  };
}

/**
 * 429 with Retry-After once a credential has made its window's requests, in every process alike; runs after
 * WebhooksAuthGuard, which names the credential. Adapter-agnostic (the throttler sets headers on Express and
 * Fastify replies alike). When Redis does not answer, requests go through unlimited rather than fail.
 */
@Injectable()
export class WebhooksRateLimitGuard extends ThrottlerGuard {
  private readonly warning = new RedisUnansweredWarning(WebhooksRateLimitGuard.name);

  protected override async getTracker(req: Record<string, any>): Promise<string> {
    const principal: WebhooksPrincipal = req[PRINCIPAL_KEY];
    return `${principal.kind}:${principal.id ?? ''}`;
  }

  /** One count per credential over all routes (the default counts each route apart). */
  protected override generateKey(_context: unknown, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    try {
      return await super.handleRequest(request);
    } catch (e) {
      if (e instanceof ThrottlerException) throw e;
      this.warning.report(e);
      return true;
    }
  }
}

/** A warning that a limit was not applied because Redis did not answer, logged at most once a minute. */
class RedisUnansweredWarning {
  private readonly log: Logger;
  private last = 0;

  constructor(context: string) {
    this.log = new Logger(context);
  }

  report(error: unknown): void {
    if (Date.now() - this.last < WARNING_INTERVAL_MS) return;
    this.last = Date.now();
    this.log.warn(`Rate limit not applied, Redis did not answer: ${(error as Error).message}`);
  }
}

/** How long an address Redis said had no refused credentials is taken as such without asking again. */
const CLEAN_RECHECK_MS = 1000;
/** Addresses remembered as clean at once, at most. */
const CLEAN_ADDRESSES_MAX = 100_000;

/** Counts a refusal; answers the milliseconds the address must wait once it is past the limit, else 0. */
const COUNT_REFUSAL = `
local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n > tonumber(ARGV[2]) then return redis.call('PTTL', KEYS[1]) end
return 0`;

/**
 * Requests whose credential is refused (401), counted per client address in Redis with the credentials' limit
 * and window. Once an address has had its window's refusals, every request it makes answers 429 until the
 * window ends, before its credential is checked: guessing gets no faster with more processes, and a right guess
 * is not told apart from a wrong one meanwhile. When Redis does not answer, nothing is counted or refused.
 *
 * An address without refusals is taken as such for up to CLEAN_RECHECK_MS before Redis is asked again, so a
 * client that never fails costs no Redis command per request; a refusal this process counts drops that at once.
 */
export class RefusedCredentialLimit {
  private readonly warning = new RedisUnansweredWarning(RefusedCredentialLimit.name);
  /** Addresses Redis last said had no refusals, each for CLEAN_RECHECK_MS (bounded: a flood of addresses evicts the oldest). */
  private readonly clean = new LRUCache<string, true>({ max: CLEAN_ADDRESSES_MAX, ttl: CLEAN_RECHECK_MS });

  constructor(
    private readonly redis: Redis | null,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /**
   * Runs `authenticate` for a request from `address`: a 429 (ThrottlerException, with `retryAfter` given the
   * seconds to wait) while the address is past its limit, and its UnauthorizedException counted.
   */
  async check<T>(address: string | undefined, retryAfter: (seconds: number) => void, authenticate: () => Promise<T>): Promise<T> {
    if (!this.redis) return authenticate();
    const key = `refused:${address ?? 'unknown'}`;
    const waiting = this.clean.has(key)
      ? 0
      : this.ask(async (redis) => {
          const refused = Number(await redis.get(key));
          if (refused === 0) this.clean.set(key, true);
          return refused >= this.limit ? await redis.pttl(key) : 0;
        });
    let outcome: PromiseSettledResult<T>;
    try {
      outcome = { status: 'fulfilled', value: await authenticate() };
    } catch (reason) {
      outcome = { status: 'rejected', reason };
    }
    let waitMs = await waiting;
    if (!waitMs && outcome.status === 'rejected' && outcome.reason instanceof UnauthorizedException) {
      this.clean.delete(key);
      waitMs = await this.ask(async (redis) => Number(await redis.eval(COUNT_REFUSAL, 1, key, this.windowMs, this.limit)));
    }
    if (waitMs > 0) {
      retryAfter(Math.ceil(waitMs / 1000));
      throw new ThrottlerException('Too many requests with a refused credential from this address; see Retry-After.');
    }
    if (outcome.status === 'rejected') throw outcome.reason;
    return outcome.value;
  }

  /** The milliseconds to wait as `question` reads them from Redis; 0 when Redis does not answer. */
  private async ask(question: (redis: Redis) => Promise<number>): Promise<number> {
    try {
      return await question(this.redis!);
    } catch (e) {
      this.warning.report(e);
      return 0;
    }
  }
}
