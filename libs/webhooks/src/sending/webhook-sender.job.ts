import { Injectable } from '@nestjs/common';
import type { Job } from 'bull';
import { RetryDeliveryLater, WebhookDeliveryQueue, WebhookSenderJobData, carriedDeliveryIds } from './webhook-delivery-queue';
import { DeliveryRunOutcome, WebhookDeliveryService } from './webhook-delivery.service';

/**
 * The Bull job (ABP's WebhookSenderJob): one run is one attempt of each delivery the job carries.
 * - A delivery's own job that should be tried again is handed back to Bull as a failure carrying its delay,
 *   so the same job (id = delivery id) is retried.
 * - A shared job hands each delivery to be tried again to a new delayed job of its own (the attempt's record
 *   already made it the delivery's job). Should a delivery's run fail for want of PostgreSQL, the whole job is
 *   run again later: the deliveries it no longer carries, or that are no longer pending, are skipped then.
 */
@Injectable()
export class WebhookSenderJob {
  constructor(
    private readonly deliveries: WebhookDeliveryService,
    private readonly queue: WebhookDeliveryQueue,
  ) {}

  async execute(job: Job<WebhookSenderJobData>): Promise<string> {
    const deliveryIds = carriedDeliveryIds(job.data);
    const runs = await this.deliveries.runJob(String(job.id), deliveryIds);
    if (!('deliveryIds' in job.data)) {
      const [run] = runs;
      if (run.status === 'rejected') throw run.reason;
      if (run.value.kind === 'retry') throw new RetryDeliveryLater(run.value.delayMs);
      return run.value.kind;
    }
    const retries = runs.flatMap((run, i) =>
      run.status === 'fulfilled' && run.value.kind === 'retry'
        ? [{ deliveryId: deliveryIds[i], delayMs: run.value.delayMs }]
        : [],
    );
    // Should Redis refuse them, the retries are pending and due in PostgreSQL: the sweeper enqueues them.
    await this.queue.enqueueRetries(retries);
    const failed = runs.filter((run): run is PromiseRejectedResult => run.status === 'rejected');
    if (failed.length > 0) {
      throw new Error(
        `${failed.length} of ${deliveryIds.length} deliveries could not run: ${(failed[0].reason as Error).message}`,
      );
    }
    return summarize(runs.map((run) => (run as PromiseFulfilledResult<DeliveryRunOutcome>).value));
  }
}

/** How many deliveries ended each way, e.g. "retry 2, succeeded 48": the job's return value in Bull. */
function summarize(outcomes: DeliveryRunOutcome[]): string {
  const counts = new Map<string, number>();
  outcomes.forEach((o) => counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1));
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
}
