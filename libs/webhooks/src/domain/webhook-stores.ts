import type {
  DeliveryState,
  PagedResult,
  WebhookDelivery,
  WebhookEvent,
  WebhookSendAttempt,
  WebhookSubscription,
} from './webhook-model';

/**
 * Store ports (ABP's IWebhookSubscriptionsStore, IWebhookEventStore, IWebhookSendAttemptStore). The
 * webhooks-management lib implements them on PostgreSQL; a host may provide its own for any of these classes.
 */

export abstract class WebhookSubscriptionStore {
  abstract insert(subscription: WebhookSubscription): Promise<void>;
  /** Tenant-scoped: another tenant's subscription is not found. */
  abstract findById(tenantId: string | null, id: string): Promise<WebhookSubscription | null>;
  /**
   * Ids of the active subscriptions of exactly this tenant (null: host subscriptions only) holding any of
   * `patterns`. One indexed query; never a scan of all subscriptions.
   */
  abstract findActiveIdsByPatterns(tenantId: string | null, patterns: readonly string[]): Promise<string[]>;
  /** Sets the subscription inactive with the reason and stops its pending deliveries (they become abandoned). */
  abstract deactivate(id: string, reason: string, at: Date): Promise<void>;
}

export abstract class WebhookEventStore {
  /** Stores the event and its deliveries in one transaction. */
  abstract saveWithDeliveries(event: WebhookEvent, deliveries: WebhookDelivery[]): Promise<void>;
}

/** Everything one send needs, read in one round trip. */
export interface DeliverySendContext {
  delivery: WebhookDelivery;
  event: WebhookEvent;
  subscription: WebhookSubscription | null;
}

export abstract class WebhookDeliveryStore {
  abstract getSendContext(deliveryId: string): Promise<DeliverySendContext | null>;
  /**
   * Pending deliveries whose next attempt was due before `dueBefore`, oldest first, in pages: pass the last
   * row of a page as `after` to get the next one.
   */
  abstract findOverduePending(dueBefore: Date, after: OverdueDelivery | null, limit: number): Promise<OverdueDelivery[]>;
  abstract abandon(deliveryId: string): Promise<void>;
}

export type OverdueDelivery = { id: string; nextAttemptAt: Date };

/** Where an attempt leaves its delivery. */
export interface DeliveryTransition {
  state: DeliveryState;
  nextAttemptAt: Date | null;
}

export interface SendAttemptQuery {
  tenantId: string | null;
  webhookEventId?: string;
  subscriptionId?: string;
  skipCount: number;
  maxResultCount: number;
}

export abstract class WebhookSendAttemptStore {
  /**
   * In one transaction: stores the attempt, moves its delivery to `transition`, and updates the
   * subscription's run of consecutive failed attempts (reset by a success). Returns that run's length.
   */
  abstract record(attempt: WebhookSendAttempt, transition: DeliveryTransition): Promise<{ consecutiveFailures: number }>;
  /** Tenant-scoped, newest first. */
  abstract list(query: SendAttemptQuery): Promise<PagedResult<WebhookSendAttempt>>;
}
