import { WebhookApiKeyEntity } from './webhook-api-key.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEventEntity } from './webhook-event.entity';
import { WebhookSendAttemptEntity } from './webhook-send-attempt.entity';
import { WebhookSubscriptionEntity } from './webhook-subscription.entity';

export { WebhookApiKeyEntity, WebhookDeliveryEntity, WebhookEventEntity, WebhookSendAttemptEntity, WebhookSubscriptionEntity };
export const WEBHOOKS_ENTITIES = [
  WebhookSubscriptionEntity,
  WebhookEventEntity,
  WebhookDeliveryEntity,
  WebhookSendAttemptEntity,
  WebhookApiKeyEntity,
];
