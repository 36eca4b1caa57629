import type { IEvent } from '@nestjs/cqrs';
import type { PublishWebhookInput } from './webhook-publisher';

/**
 * The domain event an application publishes on the CQRS EventBus to have a webhook sent
 * (ABP's WebhooksEventData): `eventBus.publish(new WebhooksEvent({ webhookName, data, tenantId }))`.
 */
export class WebhooksEvent implements IEvent {
  constructor(readonly input: PublishWebhookInput) {}
}
