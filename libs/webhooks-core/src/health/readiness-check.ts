import { DiscoveryService } from '@nestjs/core';

/**
 * A dependency the process needs to do its work (PostgreSQL, Redis, a message broker...). The host's
 * `/health/ready` asks every one of them, each under a short timeout, and answers 503 when any is down.
 *
 * To contribute one from any module: implement this interface, mark the class with `@ReadinessCheck()` and
 * register it as a provider. It is discovered at start-up, like webhook definition providers.
 */
export interface IReadinessCheck {
  /** The key in the health answer: a short lower-case word such as `postgres`, `redis` or `rabbitmq`. */
  readonly name: string;
  /** Resolves when the dependency answers; throws (with a message for operators) when it does not. */
  check(signal: AbortSignal): Promise<void>;
}

export const ReadinessCheck = DiscoveryService.createDecorator<void>();
