import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { WEBHOOKS_OPTIONS, WebhooksOptions } from '@hookline/webhooks-core';
import { DeliverySweeper } from './delivery-sweeper';
import { WebhookDeliveryQueue } from './webhook-delivery-queue';
import { WebhookSenderJob } from './webhook-sender.job';

export const WEBHOOKS_WORKER_ENABLED = Symbol('WEBHOOKS_WORKER_ENABLED');

/**
 * Starts consuming the queue and sweeping when this process has the worker role. An API-only process
 * enqueues but never sends.
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookWorker.name);
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    @Inject(WEBHOOKS_WORKER_ENABLED) private readonly enabled: boolean,
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
    private readonly queue: WebhookDeliveryQueue,
    private readonly senderJob: WebhookSenderJob,
    private readonly sweeper: DeliverySweeper,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    void this.queue.queue.process(this.options.workerConcurrency, (job) => this.senderJob.execute(job));
    this.sweepTimer = setInterval(() => void this.sweepSafely(), this.options.sweepIntervalMs);
    this.sweepTimer.unref();
    void this.sweepSafely();
    this.logger.log(`Worker consuming queue '${this.queue.queue.name}' with concurrency ${this.options.workerConcurrency}`);
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweepTimer);
  }

  private async sweepSafely(): Promise<void> {
    try {
      await this.sweeper.sweep();
    } catch (e) {
      this.logger.error(`Sweep failed: ${(e as Error).message}`);
    }
  }
}
