import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';

export const WEBHOOKS_QUEUE = 'webhooks';

/** A Bull job carries only the delivery id; everything else is read from PostgreSQL when it runs. */
export interface WebhookSenderJobData {
  deliveryId: string;
}

/** Thrown by the sender job when a delivery should be tried again later; the Bull backoff reads the delay. */
export class RetryDeliveryLater extends Error {
  constructor(readonly delayMs: number) {
    super(`retry in ${delayMs} ms`);
  }
}

const ENQUEUE_TIMEOUT_MS = 5_000;
const LOST_CONNECTION_STATES = new Set(['reconnecting', 'close', 'end']);

/**
 * Puts deliveries on the Bull queue. The job id is the delivery id, so enqueueing one twice is harmless:
 * Bull keeps the existing job. PostgreSQL stays the source of truth; if Redis is unreachable the delivery
 * stays pending and the sweeper enqueues it later.
 */
@Injectable()
export class WebhookDeliveryQueue {
  private readonly logger = new Logger(WebhookDeliveryQueue.name);

  constructor(@InjectQueue(WEBHOOKS_QUEUE) readonly queue: Queue<WebhookSenderJobData>) {}

  /** Enqueues in one round trip (to run after `delayMs`); false (logged) when Redis did not take them in time. */
  async enqueue(deliveryIds: readonly string[], delayMs = 0): Promise<boolean> {
    if (deliveryIds.length === 0) return true;
    const jobs = deliveryIds.map((deliveryId) => ({ data: { deliveryId }, opts: { jobId: deliveryId, delay: delayMs } }));
    try {
      await this.askRedis(() => this.queue.addBulk(jobs));
      return true;
    } catch (e) {
      this.logger.warn(
        `Could not enqueue ${deliveryIds.length} deliveries (${(e as Error).message}); they stay pending and the sweeper will enqueue them`,
      );
      return false;
    }
  }

  /**
   * Enqueues those of these deliveries that have no job in Redis (one round trip to find them): what the
   * sweeper hands over, so that a backlog still waiting its turn is not added again on every pass.
   * Answers how many were enqueued, or null (logged) when Redis did not answer.
   */
  async enqueueMissing(deliveryIds: readonly string[]): Promise<number | null> {
    if (deliveryIds.length === 0) return 0;
    let missing: string[];
    try {
      const pipeline = this.queue.client.pipeline();
      deliveryIds.forEach((id) => pipeline.exists(this.queue.toKey(id)));
      const answers = (await this.askRedis(() => pipeline.exec())) ?? [];
      missing = deliveryIds.filter((_, i) => answers[i]?.[1] === 0);
    } catch (e) {
      this.logger.warn(`Could not look up the jobs of ${deliveryIds.length} deliveries (${(e as Error).message})`);
      return null;
    }
    return (await this.enqueue(missing)) ? missing.length : null;
  }

  /**
   * Runs a Redis command, failing at once when Redis was reachable and is not now (ioredis would hold the
   * command until it is back) and after ENQUEUE_TIMEOUT_MS otherwise: publishers and the sweeper never wait on it.
   */
  private async askRedis<T>(command: () => Promise<T>): Promise<T> {
    if (this.redisLost()) throw new Error(`Redis is ${this.queue.client.status}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
    });
    try {
      return await Promise.race([command(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Removes the delivery's job unless a worker is running it (Bull refuses to remove a locked job): true when
   * no job is left, false when a worker holds it. Used before sending a delivery outside the queue.
   */
  async removeUnlessRunning(deliveryId: string): Promise<boolean> {
    // Without Redis no worker can take the job either; the send goes ahead.
    if (this.redisLost()) return true;
    const job = await this.queue.getJob(deliveryId);
    if (!job) return true;
    try {
      await job.remove();
      return true;
    } catch {
      return false;
    }
  }

  /** Makes the waiting retries of these deliveries (delayed jobs) run now; other jobs are left as they are. */
  async runDelayedNow(deliveryIds: readonly string[]): Promise<void> {
    if (this.redisLost()) return;
    await Promise.all(
      deliveryIds.map(async (id) => {
        const job = await this.queue.getJob(id);
        // Rejects when the job is not delayed (waiting or running already): nothing to do then.
        await job?.promote().catch(() => undefined);
      }),
    );
  }

  private redisLost(): boolean {
    return LOST_CONNECTION_STATES.has(this.queue.client.status);
  }
}
