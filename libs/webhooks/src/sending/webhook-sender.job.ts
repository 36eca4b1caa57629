import { Injectable } from '@nestjs/common';
import type { Job } from 'bull';
import { RetryDeliveryLater, WebhookSenderJobData } from './webhook-delivery-queue';
import { WebhookDeliveryService } from './webhook-delivery.service';

/**
 * The Bull job (ABP's WebhookSenderJob): one run is one attempt. A delivery that should be tried again is
 * handed back to Bull as a failure carrying its delay, so the same job (id = delivery id) is retried.
 */
@Injectable()
export class WebhookSenderJob {
  constructor(private readonly deliveries: WebhookDeliveryService) {}

  async execute(job: Job<WebhookSenderJobData>): Promise<string> {
    const outcome = await this.deliveries.run(job.data.deliveryId);
    if (outcome.kind === 'retry') throw new RetryDeliveryLater(outcome.delayMs);
    return outcome.kind;
  }
}
