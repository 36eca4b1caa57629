import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { JobOptions, Queue } from 'bull';
import type { WebhookDelivery } from '../domain/webhook-model';

export const WEBHOOKS_QUEUE = 'webhooks';

/**
 * A Bull job carries only delivery ids; everything else is read from PostgreSQL when it runs. A delivery's
 * own job (id = delivery id) carries just it; a shared job (id = the deliveries' `queueJobId`) carries
 * deliveries published together.
 */
export type WebhookSenderJobData = { deliveryId: string } | { deliveryIds: string[] };

/** The deliveries a job carries. */
export const carriedDeliveryIds = (data: WebhookSenderJobData): string[] =>
  'deliveryIds' in data ? data.deliveryIds : [data.deliveryId];

type NewJob = { data: WebhookSenderJobData; opts: JobOptions };
const ownJob = (deliveryId: string, delayMs = 0): NewJob => ({
  data: { deliveryId },
  opts: { jobId: deliveryId, delay: delayMs },
});

/** Thrown by the sender job when a delivery should be tried again later; the Bull backoff reads the delay. */
export class RetryDeliveryLater extends Error {
  constructor(readonly delayMs: number) {
    super(`retry in ${delayMs} ms`);
  }
}

const ENQUEUE_TIMEOUT_MS = 5_000;
const LOST_CONNECTION_STATES = new Set(['reconnecting', 'close', 'end']);

/**
 * Puts deliveries on the Bull queue. A job's id is its delivery's id or the shared `queueJobId`, so
 * enqueueing one twice is harmless: Bull keeps the existing job. PostgreSQL stays the source of truth; if
 * Redis is unreachable the delivery stays pending and the sweeper enqueues it later.
 */
@Injectable()
export class WebhookDeliveryQueue {
  private readonly logger = new Logger(WebhookDeliveryQueue.name);

  constructor(@InjectQueue(WEBHOOKS_QUEUE) readonly queue: Queue<WebhookSenderJobData>) {}

  /** Jobs of their own for these deliveries, to run after `delayMs`. */
  enqueue(deliveryIds: readonly string[], delayMs = 0): Promise<boolean> {
    return this.add(
      deliveryIds.map((id) => ownJob(id, delayMs)),
      deliveryIds.length,
    );
  }

  /** Jobs of their own for these deliveries' retries, each after its delay. */
  enqueueRetries(retries: readonly { deliveryId: string; delayMs: number }[]): Promise<boolean> {
    return this.add(
      retries.map((r) => ownJob(r.deliveryId, r.delayMs)),
      retries.length,
    );
  }

  /** Freshly stored deliveries: one job per shared `queueJobId`, and a job of its own for each of the others. */
  enqueueFresh(deliveries: readonly Pick<WebhookDelivery, 'id' | 'queueJobId'>[]): Promise<boolean> {
    const shared = new Map<string, string[]>();
    const jobs: NewJob[] = [];
    for (const { id, queueJobId } of deliveries) {
      if (queueJobId === null) jobs.push(ownJob(id));
      else if (shared.has(queueJobId)) shared.get(queueJobId)!.push(id);
      else shared.set(queueJobId, [id]);
    }
    shared.forEach((deliveryIds, jobId) => jobs.push({ data: { deliveryIds }, opts: { jobId } }));
    return this.add(jobs, deliveries.length);
  }

  /** Adds in one round trip; false (logged) when Redis did not take them in time. */
  private async add(jobs: NewJob[], deliveryCount: number): Promise<boolean> {
    if (jobs.length === 0) return true;
    try {
      await this.askRedis(() => this.queue.addBulk(jobs));
      return true;
    } catch (e) {
      this.logger.warn(
        `Could not enqueue ${deliveryCount} deliveries (${(e as Error).message}); they stay pending and the sweeper will enqueue them`,
      );
      return false;
    }
  }

  /**
   * Those of these deliveries whose job is not in Redis (one round trip to find out), or null (logged) when
   * Redis did not answer: what the sweeper hands over, so that a backlog still waiting its turn is left alone.
   */
  async withoutJob<D extends Pick<WebhookDelivery, 'id' | 'queueJobId'>>(deliveries: readonly D[]): Promise<D[] | null> {
    if (deliveries.length === 0) return [];
    const jobIds = [...new Set(deliveries.map((d) => d.queueJobId ?? d.id))];
    try {
      const pipeline = this.queue.client.pipeline();
      jobIds.forEach((id) => pipeline.exists(this.queue.toKey(id)));
      const answers = (await this.askRedis(() => pipeline.exec())) ?? [];
      const missing = new Set(jobIds.filter((_, i) => answers[i]?.[1] === 0));
      return deliveries.filter((d) => missing.has(d.queueJobId ?? d.id));
    } catch (e) {
      this.logger.warn(`Could not look up the jobs of ${deliveries.length} deliveries (${(e as Error).message})`);
      return null;
    }
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
