import { Process, Processor } from '@nestjs/bull';
import { Inject } from '@nestjs/common';
import type { Job } from 'bull';
import { WEBHOOKS_OPTIONS, WebhooksOptions } from '@hookline/webhooks-core';
import { DeliveryDispatch } from '../domain/ports/delivery-dispatch';
import {
  WEBHOOKS_QUEUE,
  WEBHOOK_RETRY_JOB,
  WEBHOOK_SENDER_JOB,
  type WebhookRetryJobData,
  type WebhookSenderJobData,
} from './webhook-sender.job';
import { WebhookWorker } from './webhook-worker';

/**
 * The worker role's Bull processor: a WebhookSenderJob sends its claimed deliveries, a WebhookRetryJob moves a delivery
 * whose retry is due into its retry lane. Registered only in processes with the worker role.
 */
@Processor(WEBHOOKS_QUEUE)
export class WebhookSenderProcessor {
  constructor(
    @Inject(WEBHOOKS_OPTIONS) options: WebhooksOptions,
    private readonly worker: WebhookWorker,
    private readonly dispatch: DeliveryDispatch,
  ) {
    // Bull takes a processor's concurrency when the application starts it (after every constructor has run). A
    // job holds at least one claim; claims being sent are at most the places, and those being recorded at most
    // as many again, so every job waiting can run at once.
    const send = Object.getOwnPropertyDescriptor(WebhookSenderProcessor.prototype, 'send')!;
    Process({ name: WEBHOOK_SENDER_JOB, concurrency: 2 * options.workerConcurrency })(
      WebhookSenderProcessor.prototype,
      'send',
      send,
    );
  }

  @Process({ name: WEBHOOK_SENDER_JOB })
  send(job: Job<WebhookSenderJobData>): Promise<void> {
    return this.worker.sendAll(job.data.claims);
  }

  /**
   * Bull adds up the concurrency of a queue's processors, and any of its loops runs any job: none more here, so
   * this process runs at most the sender jobs' concurrency; moving a retry is one short script.
   */
  @Process({ name: WEBHOOK_RETRY_JOB, concurrency: 0 })
  async joinRetryLane(job: Job<WebhookRetryJobData>): Promise<void> {
    if (!(await this.dispatch.submit([job.data], 'retry'))) throw new Error('the scheduler did not take the retry');
  }
}
