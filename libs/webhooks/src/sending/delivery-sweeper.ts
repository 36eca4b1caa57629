import { Inject, Injectable, Logger } from '@nestjs/common';
import { WEBHOOKS_OPTIONS, WebhooksOptions } from '@hookline/webhooks-core';
import { OverdueDelivery, WebhookDeliveryStore } from '../domain/webhook-stores';
import { WebhookDeliveryQueue } from './webhook-delivery-queue';

const SWEEP_BATCH = 1000;
/** Bound on one pass, so a huge backlog is re-enqueued over several passes rather than in one long one. */
const MAX_BATCHES_PER_SWEEP = 100;

/**
 * The safety net between PostgreSQL and Redis: a delivery that is pending and past due but has no queue
 * job (the process died between commit and enqueue, or Redis lost its data) is enqueued again. Deliveries
 * that still have their job (a backlog waiting its turn) are left as they are, and not re-added.
 */
@Injectable()
export class DeliverySweeper {
  private readonly logger = new Logger(DeliverySweeper.name);

  constructor(
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
    private readonly deliveries: WebhookDeliveryStore,
    private readonly queue: WebhookDeliveryQueue,
  ) {}

  /** One pass over the overdue pending deliveries; returns how many had lost their job and were enqueued again. */
  async sweep(now = new Date()): Promise<number> {
    const dueBefore = new Date(now.getTime() - this.options.sweepGraceMs);
    let enqueued = 0;
    let after: OverdueDelivery | null = null;
    for (let batch = 0; batch < MAX_BATCHES_PER_SWEEP; batch++) {
      const overdue = await this.deliveries.findOverduePending(dueBefore, after, SWEEP_BATCH);
      const orphans = await this.queue.withoutJob(overdue);
      if (orphans === null) break;
      // Those a shared job carried are handed to jobs of their own first: a job sends only what it carries.
      const carried = orphans.filter((d) => d.queueJobId !== null).map((d) => d.id);
      if (carried.length > 0) await this.deliveries.detachFromQueueJobs(carried);
      if (!(await this.queue.enqueue(orphans.map((d) => d.id)))) break;
      enqueued += orphans.length;
      if (overdue.length < SWEEP_BATCH) break;
      after = overdue[overdue.length - 1];
    }
    if (enqueued > 0) this.logger.log(`Sweeper enqueued ${enqueued} overdue deliveries that had no queue job`);
    return enqueued;
  }
}
