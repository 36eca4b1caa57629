import { Inject, Injectable, Logger } from '@nestjs/common';
import { WEBHOOKS_OPTIONS, WebhooksOptions } from '@hookline/webhooks-core';
import { DeliveryDispatch, DispatchItem } from '../domain/ports/delivery-dispatch';
import { OverdueDelivery, WebhookDeliveryStore } from '../domain/ports/webhook-delivery.store';

const SWEEP_BATCH = 1000;
/** Bound on one pass, so a huge backlog is handed over in several passes rather than in one long one. */
const MAX_BATCHES_PER_SWEEP = 100;

type OverdueItem = DispatchItem & { attemptCount: number };

/**
 * The safety net between PostgreSQL and the scheduler: a delivery that is pending and past due but that the
 * scheduler does not hold (the process died between commit and hand-over, or Redis lost its data) is handed
 * to it again. Deliveries it still holds (a backlog waiting its turn) are left as they are.
 */
@Injectable()
export class DeliverySweeper {
  private readonly logger = new Logger(DeliverySweeper.name);

  constructor(
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
    private readonly deliveries: WebhookDeliveryStore,
    private readonly dispatch: DeliveryDispatch,
  ) {}

  /** One pass over the overdue pending deliveries; returns how many the scheduler had lost and was handed again. */
  async sweep(now = new Date()): Promise<number> {
    const dueBefore = new Date(now.getTime() - this.options.sweepGraceMs);
    let handed = 0;
    let after: OverdueDelivery | null = null;
    for (let batch = 0; batch < MAX_BATCHES_PER_SWEEP; batch++) {
      const overdue = await this.deliveries.findOverduePending(dueBefore, after, SWEEP_BATCH);
      const orphans = await this.dispatch.untracked(overdue.map(toItem));
      if (orphans === null) break;
      const [first, retries] = [orphans.filter((d) => d.attemptCount === 0), orphans.filter((d) => d.attemptCount > 0)];
      if (!(await this.dispatch.submit(first, 'first')) || !(await this.dispatch.submit(retries, 'retry'))) break;
      handed += orphans.length;
      if (overdue.length < SWEEP_BATCH) break;
      after = overdue[overdue.length - 1];
    }
    if (handed > 0) this.logger.log(`Sweeper handed ${handed} overdue deliveries the scheduler did not hold back to it`);
    return handed;
  }
}

const toItem = (d: OverdueDelivery): OverdueItem => ({
  deliveryId: d.id,
  subscriptionId: d.webhookSubscriptionId,
  tenantId: d.tenantId,
  attemptCount: d.attemptCount,
});
