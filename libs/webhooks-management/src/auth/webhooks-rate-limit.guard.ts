import { Injectable, Logger } from '@nestjs/common';
import {
  ThrottlerException,
  ThrottlerGuard,
  ThrottlerOptions,
  ThrottlerRequest,
  ThrottlerStorage,
  ThrottlerStorageService,
} from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
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
}

/**
 * The throttler settings: one limit per credential over every route behind WebhooksApi except those marked
 * @SkipThrottle() (publishing: the data path, not administration). Its Redis client fails fast rather than queue
 * commands while Redis is away, so the guard can let requests through instead of holding them.
 */
export function webhooksThrottlerOptions(options: WebhooksRateLimitOptions | null): WebhooksThrottlerOptions {
  if (!options?.requests)
    return { throttlers: [{ limit: 1, ttl: 1 }], skipIf: () => true, storage: new ThrottlerStorageService() };
  // Given the URL (not a client), the storage closes its connection when the application stops.
  const storage = new ThrottlerStorageRedisService(options.redis.url, {
    keyPrefix: `${options.redis.prefix}:rate-limit:`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  // Connection errors surface as failed counts, which the guard reports; without a listener ioredis prints each.
  storage.redis.on('error', () => undefined);
  return { throttlers: [{ limit: options.requests, ttl: options.windowSeconds * 1000 }], storage };
}

/**
 * 429 with Retry-After once a credential has made its window's requests, in every process alike; runs after
 * WebhooksAuthGuard, which names the credential. Adapter-agnostic (the throttler sets headers on Express and
 * Fastify replies alike). When Redis does not answer, requests go through unlimited rather than fail.
 */
@Injectable()
export class WebhooksRateLimitGuard extends ThrottlerGuard {
  private readonly log = new Logger(WebhooksRateLimitGuard.name);
  private lastWarning = 0;

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
      if (Date.now() - this.lastWarning > WARNING_INTERVAL_MS) {
        this.lastWarning = Date.now();
        this.log.warn(`Rate limit not applied, Redis did not answer: ${(e as Error).message}`);
      }
      return true;
    }
  }
}
