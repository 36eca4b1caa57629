import { InitialWebhooksSchema1763900000000 } from './1763900000000-initial-webhooks-schema';
import { WebhookApiKeys1763950000000 } from './1763950000000-webhook-api-keys';
import { PublishIdempotencyKeys1763960000000 } from './1763960000000-publish-idempotency-keys';
import { DeliveryAttemptBase1763970000000 } from './1763970000000-delivery-attempt-base';
import { SubscriptionManagement1764000000000 } from './1764000000000-subscription-management';
import { StoredWebhookDefinitions1764010000000 } from './1764010000000-stored-webhook-definitions';
import { DeliveryQueueJob1764020000000 } from './1764020000000-delivery-queue-job';
import { EndpointIsolation1765000000000 } from './1765000000000-endpoint-isolation';
import { EncryptedSubscriptionSecrets1765200000000 } from './1765200000000-encrypted-subscription-secrets';
import { SubscriptionSignatureScheme1765200000001 } from './1765200000001-subscription-signature-scheme';
import { DefinitionDataSchemas1765300000000 } from './1765300000000-definition-data-schemas';
import { SubscriptionPayloadFilters1765310000000 } from './1765310000000-subscription-payload-filters';
import { PortalSessions1765400000000 } from './1765400000000-portal-sessions';
import { DataLifecycle1765600000000 } from './1765600000000-data-lifecycle';
import { DeliveryHistoryOutlivesSubscription1765610000000 } from './1765610000000-delivery-history-outlives-subscription';
import { TimePartitionedHistory1765710000000 } from './1765710000000-time-partitioned-history';
import { HistoryResponseRetention1765710000001 } from './1765710000001-history-response-retention';
import { HistoryListIndexes1766200000000 } from './1766200000000-history-list-indexes';
import { AttemptListKeys1766300000000 } from './1766300000000-attempt-list-keys';

/** Every migration, in order. Listed explicitly so bundling or path changes cannot skip one. */
export const WEBHOOKS_MIGRATIONS = [
  InitialWebhooksSchema1763900000000,
  WebhookApiKeys1763950000000,
  PublishIdempotencyKeys1763960000000,
  DeliveryAttemptBase1763970000000,
  SubscriptionManagement1764000000000,
  StoredWebhookDefinitions1764010000000,
  DeliveryQueueJob1764020000000,
  EndpointIsolation1765000000000,
  EncryptedSubscriptionSecrets1765200000000,
  SubscriptionSignatureScheme1765200000001,
  DefinitionDataSchemas1765300000000,
  SubscriptionPayloadFilters1765310000000,
  PortalSessions1765400000000,
  DataLifecycle1765600000000,
  DeliveryHistoryOutlivesSubscription1765610000000,
  TimePartitionedHistory1765710000000,
  HistoryResponseRetention1765710000001,
  HistoryListIndexes1766200000000,
  AttemptListKeys1766300000000,
];
