import type { DeliveryState, WebhookDelivery, WebhookEvent, WebhookSubscription } from '../webhook-model';

/**
 * What sending a delivery reads, in one round trip and no more (the worker reads one per delivery): the
 * delivery's state, its event, and the subscription's sending settings (null when the subscription is gone).
 */
export interface DeliverySendContext {
  delivery: Pick<WebhookDelivery, 'id' | 'webhookSubscriptionId' | 'tenantId' | 'state' | 'attemptCount' | 'attemptBase'>;
  event: WebhookEvent;
  subscription: SubscriptionSendSettings | null;
}

/** The subscription's columns a send uses: where, how it is signed and timed, and whether it is still active. */
export type SubscriptionSendSettings = Pick<
  WebhookSubscription,
  | 'id'
  | 'webhookUri'
  | 'secret'
  | 'signatureScheme'
  | 'previousSecret'
  | 'previousSecretExpiresAt'
  | 'headers'
  | 'isActive'
  | 'timeoutDuration'
  | 'maxSendAttemptCount'
  | 'maxConcurrentSends'
  | 'rateLimitPerSecond'
>;

export abstract class WebhookDeliveryStore {
  abstract getSendContext(deliveryId: string): Promise<DeliverySendContext | null>;
  /**
   * Pending deliveries whose next attempt was due before `dueBefore`, oldest first, in pages: pass the last
   * row of a page as `after` to get the next one.
   */
  abstract findOverduePending(dueBefore: Date, after: OverdueDelivery | null, limit: number): Promise<OverdueDelivery[]>;
  abstract abandon(deliveryId: string): Promise<void>;
  /**
   * Reopens the deliveries of these send attempts for another try: pending, due at `nextAttemptAt`, with a
   * fresh attempt budget (attemptBase = attemptCount). Tenant-scoped; deliveries of an inactive or deleted
   * subscription are left alone. One statement.
   */
  abstract reopenByAttempts(
    tenantId: string | null,
    sendAttemptIds: readonly string[],
    nextAttemptAt: Date,
  ): Promise<ReopenedDelivery[]>;
  /** Reopens a replay window's deliveries the same way; when more than `maxDeliveries` match, none (tooMany). */
  abstract reopenForReplay(
    window: ReplayWindow,
    nextAttemptAt: Date,
  ): Promise<{ tooMany: boolean; reopened: ReopenedDelivery[] }>;
}

/** A pending delivery past due, with what the scheduler needs to queue it (a delivery tried before goes to the retry lane). */
export interface OverdueDelivery {
  id: string;
  nextAttemptAt: Date;
  webhookSubscriptionId: string;
  tenantId: string | null;
  attemptCount: number;
}

/** A delivery reopened for another try. */
export interface ReopenedDelivery {
  id: string;
  /** Its subscription and tenant, for the scheduler. */
  webhookSubscriptionId: string;
  tenantId: string | null;
  /** It was pending already (it may have a retry waiting). */
  wasPending: boolean;
}

/** One subscription's deliveries whose events were created in [since, until). */
export interface ReplayWindow {
  tenantId: string | null;
  subscriptionId: string;
  since: Date;
  until: Date;
  /** Only the deliveries that ended failed or abandoned. */
  onlyFailed: boolean;
  maxDeliveries: number;
}

/** Where an attempt leaves its delivery. */
export interface DeliveryTransition {
  state: DeliveryState;
  nextAttemptAt: Date | null;
}
