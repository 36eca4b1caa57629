import { Inject, Injectable, Logger } from '@nestjs/common';
import { WEBHOOKS_OPTIONS, WebhooksOptions } from '@hookline/webhooks-core';
import { WebhookDeliveryStore } from '../domain/webhook-stores';
import { WebhookDeliveryQueue } from './webhook-delivery-queue';

const SWEEP_BATCH = 1000;

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

  /** One pass; returns how many overdue deliveries were handed to the queue. */
  async sweep(now = new Date()): Promise<number> {
    const overdue = await this.deliveries.findOverduePending(new Date(now.getTime() - this.options.sweepGraceMs), SWEEP_BATCH);
    if (overdue.length === 0) return 0;
    const enqueued = await this.queue.enqueue(overdue.map((d) => ({ deliveryId: d.id })));
    if (enqueued) this.logger.debug(`Sweeper re-enqueued ${overdue.length} overdue deliveries (existing jobs kept)`);
    return enqueued ? overdue.length : 0;
  }
}
