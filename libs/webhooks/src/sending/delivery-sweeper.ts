import { Inject, Injectable, Logger } from '@nestjs/common';
import { WEBHOOKS_OPTIONS, WebhooksOptions } from '@hookline/webhooks-core';
import { OverdueDelivery, WebhookDeliveryStore } from '../domain/webhook-stores';
import { WebhookDeliveryQueue } from './webhook-delivery-queue';

const SWEEP_BATCH = 1000;
/** Bound on one pass, so a huge backlog is re-enqueued over several passes rather than in one long one. */
const MAX_BATCHES_PER_SWEEP = 100;

/**
 * The safety net between PostgreSQL and Redis: a delivery that is pending and past due but has no queue
 * job (the process died between commit and enqueue, or Redis lost its data) is enqueued again. Enqueueing
 * is idempotent (job id = delivery id), so deliveries that still have their job are left as they are.
 */
@Injectable()
export class DeliverySweeper {
  private readonly logger = new Logger(DeliverySweeper.name);

  constructor(
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
    private readonly deliveries: WebhookDeliveryStore,
    private readonly queue: WebhookDeliveryQueue,
  ) {}

  /** One pass over the overdue pending deliveries; returns how many were handed to the queue. */
  async sweep(now = new Date()): Promise<number> {
    const dueBefore = new Date(now.getTime() - this.options.sweepGraceMs);
    let handed = 0;
    let after: OverdueDelivery | null = null;
    for (let batch = 0; batch < MAX_BATCHES_PER_SWEEP; batch++) {
      const overdue = await this.deliveries.findOverduePending(dueBefore, after, SWEEP_BATCH);
      if (overdue.length === 0 || !(await this.queue.enqueue(overdue.map((d) => d.id)))) break;
      handed += overdue.length;
      if (overdue.length < SWEEP_BATCH) break;
      after = overdue[overdue.length - 1];
    }
    if (handed > 0) this.logger.debug(`Sweeper handed ${handed} overdue deliveries to the queue (existing jobs kept)`);
    return handed;
  }
}
