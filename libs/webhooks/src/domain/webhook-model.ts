import type { PayloadFilter, SignatureScheme } from '@hookline/webhooks-core';

/**
 * The domain model of the webhooks module, free of persistence concerns. Tenant ids are strings (ABP uses
 * GUIDs); null means the host.
 */

export interface WebhookSubscription {
  id: string;
  tenantId: string | null;
  webhookUri: string;
  /** The signing secret: a shared secret (hmac-sha256), or an Ed25519 signing key `whsk_…` (ed25519). */
  secret: string;
  signatureScheme: SignatureScheme;
  /**
   * The secret a rotation replaced: it keeps signing beside `secret` until `previousSecretExpiresAt`, so
   * receivers can switch without losing deliveries. Null when there is no overlap.
   */
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  /** Exact webhook names, `*`, or prefix wildcards such as `order.*`. */
  webhooks: string[];
  /** Only events whose data passes this filter are delivered; null: every event. */
  filter: PayloadFilter | null;
  headers: Record<string, string>;
  isActive: boolean;
  /** Seconds; null means the global timeoutDuration. */
  timeoutDuration: number | null;
  /** Null means the global maxSendAttemptCount. */
  maxSendAttemptCount: number | null;
  description: string | null;
  /** Sends in flight to this endpoint at once, all workers together; null means the global default. */
  maxConcurrentSends: number | null;
  /** Sends per second to this endpoint, all workers together; null means no limit. */
  rateLimitPerSecond: number | null;
  consecutiveFailureCount: number;
  deactivatedAt: Date | null;
  deactivationReason: string | null;
  creationTime: Date;
  concurrencyStamp: string;
}

/** The replaced secret while its overlap lasts, else null. */
export function previousSecretInForce(
  s: Pick<WebhookSubscription, 'previousSecret' | 'previousSecretExpiresAt'>,
  now: Date,
): string | null {
  return s.previousSecret !== null && s.previousSecretExpiresAt !== null && s.previousSecretExpiresAt > now
    ? s.previousSecret
    : null;
}

export interface WebhookEvent {
  id: string;
  tenantId: string | null;
  webhookName: string;
  /** The published data as a JSON text, kept byte for byte. */
  data: string;
  sendExactSameData: boolean;
  /** Publish-time headers: added to each subscription's, or replacing them when useOnlyGivenHeaders. */
  headers: Record<string, string> | null;
  useOnlyGivenHeaders: boolean;
  creationTime: Date;
  /** When its payload was erased on request (its data is then `null`); absent or null: never. */
  expungedAt?: Date | null;
}

export type DeliveryState = 'pending' | 'succeeded' | 'failed' | 'abandoned';

/** One event on its way to one subscription. Its id is the `webhook-id` header. */
export interface WebhookDelivery {
  id: string;
  webhookEventId: string;
  webhookSubscriptionId: string;
  tenantId: string | null;
  state: DeliveryState;
  attemptCount: number;
  /**
   * The attempt count when the delivery was last reopened by hand (resend, replay): the attempt cap counts
   * from here, so a reopened delivery has a fresh budget. 0 until then.
   */
  attemptBase: number;
  /** When the next attempt is due (pending only). */
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  creationTime: Date;
}

export interface WebhookSendAttempt {
  id: string;
  deliveryId: string;
  webhookEventId: string;
  webhookSubscriptionId: string;
  tenantId: string | null;
  attemptNumber: number;
  succeeded: boolean;
  responseStatusCode: number | null;
  /** The receiver's answer, cut at the configured limit (20 KB by default). */
  response: string | null;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string> | null;
  durationMs: number;
  error: string | null;
  creationTime: Date;
}

export interface PagedResult<T> {
  totalCount: number;
  items: T[];
}
