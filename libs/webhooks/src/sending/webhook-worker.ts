import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { WEBHOOKS_OPTIONS, WebhooksOptions } from '@hookline/webhooks-core';
import { DeliverySweeper } from './delivery-sweeper';
import { RetryDeliveryLater, WebhookDeliveryQueue, carriedDeliveryIds } from './webhook-delivery-queue';
import { WebhookSenderJob } from './webhook-sender.job';

export const WEBHOOKS_WORKER_ENABLED = Symbol('WEBHOOKS_WORKER_ENABLED');

/**
 * Starts consuming the queue and sweeping when this process has the worker role. An API-only process
 * enqueues but never sends. On shutdown it stops taking jobs and lets the deliveries in flight finish,
 * for at most `shutdownGraceMs`, before the queue and database connections are closed.
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookWorker.name);
  private sweepTimer?: NodeJS.Timeout;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    @Inject(WEBHOOKS_WORKER_ENABLED) private readonly enabled: boolean,
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
    private readonly queue: WebhookDeliveryQueue,
    private readonly senderJob: WebhookSenderJob,
    private readonly sweeper: DeliverySweeper,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    void this.queue.queue.process(this.options.workerConcurrency, async (job) => {
      this.inFlight++;
      try {
        return await this.senderJob.execute(job);
      } catch (e) {
        // A receiver's failure was recorded and logged by the delivery service; anything else (PostgreSQL
        // away...) is an infrastructure error that Bull retries without counting an attempt.
        if (!(e instanceof RetryDeliveryLater)) {
          this.logger.warn({
            msg: 'delivery run failed; retried',
            jobId: job.id,
            deliveries: carriedDeliveryIds(job.data).length,
            error: (e as Error).message,
          });
        }
        throw e;
      } finally {
        if (--this.inFlight === 0) this.idleWaiters.splice(0).forEach((wake) => wake());
      }
    });
    this.sweepTimer = setInterval(() => void this.sweepSafely(), this.options.sweepIntervalMs);
    this.sweepTimer.unref();
    void this.sweepSafely();
    this.logger.log(`Worker consuming queue '${this.queue.queue.name}' with concurrency ${this.options.workerConcurrency}`);
  }

  /** Runs before any connection is closed (Bull closes its queue, TypeORM its pool, on application shutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    if (!this.enabled) return;
    const grace = this.options.shutdownGraceMs;
    const queue = this.queue.queue;
    this.logger.log(`Stopping: no new jobs; waiting up to ${grace} ms for the ${this.inFlight} jobs in flight`);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), grace)));
    // A local pause stops this process fetching jobs. Bull's own wait for the running ones has no bound (and
    // leaks a rejection when cut short), so they are counted here instead.
    await Promise.race([queue.pause(true, true).catch(() => undefined), graceOver]);
    const finished = await Promise.race([this.idle(), graceOver]);
    clearTimeout(timer);
    if (finished) return this.logger.log('Stopped: every job in flight finished');
    this.logger.warn(
      `Stopping with ${this.inFlight} jobs still in flight after ${grace} ms; their deliveries stay pending and run again once the job lock expires`,
    );
    // Closing now, without waiting for them, also makes the queue's own close at application shutdown return at once.
    await queue.close(true).catch(() => undefined);
  }

  /** Resolves (true) once no delivery is running in this process. */
  private idle(): Promise<true> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => this.idleWaiters.push(() => resolve(true)));
  }

  private async sweepSafely(): Promise<void> {
    try {
      await this.sweeper.sweep();
    } catch (e) {
      this.logger.error(`Sweep failed: ${(e as Error).message}`);
    }
  }
}
