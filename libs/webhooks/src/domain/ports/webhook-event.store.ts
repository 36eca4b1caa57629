import type { DeliveryState, WebhookDelivery, WebhookEvent } from '../webhook-model';
import type { KeysetPage, KeysetPosition } from './paging';

export interface EventWithDeliveries {
  event: WebhookEvent;
  deliveries: WebhookDelivery[];
}

/**
 * An idempotency key claimed by a publish: unique per tenant (null = the host) while it lives. `result` is
 * what a repeat of the same request answers.
 */
export interface IdempotencyClaim {
  tenantId: string | null;
  key: string;
  /** Hash of the request, so a repeat with another request is told apart. */
  requestHash: string;
  result: unknown;
  creationTime: Date;
  expiresAt: Date;
}

export type SaveEventsOutcome =
  | { saved: true }
  /** The key was claimed earlier and has not expired: nothing was stored. */
  | { saved: false; earlier: { requestHash: string; result: unknown } };

export interface EventQuery {
  tenantId: string | null;
  /** Only rows after this one (keyset paging); skipCount then counts from there. */
  after?: KeysetPosition;
  webhookName?: string;
  /** Events with a delivery to this subscription (and in `state`, when both are given: the same delivery). */
  subscriptionId?: string;
  /** Events with a delivery in this state. */
  state?: DeliveryState;
  creationTimeFrom?: Date;
  creationTimeTo?: Date;
  /** Newest first unless 'asc'. */
  order: 'asc' | 'desc';
  skipCount: number;
  maxResultCount: number;
}

export type WebhookEventSummary = Omit<WebhookEvent, 'data'> & { deliveryCount: number };

export interface WebhookEventWithDeliveries {
  event: WebhookEvent;
  deliveries: WebhookDelivery[];
}

/** Store port of events (ABP's IWebhookEventStore), with publishing's idempotency keys. */
export abstract class WebhookEventStore {
  /**
   * Stores the events and their deliveries in one transaction. Each delivery is a new one of its event: pending,
   * never attempted, created with the event and of its tenant (only its due time may differ). With
   * `idempotency`, the key is claimed in that same transaction (a unique index makes concurrent claims wait for
   * each other): when it is already held and not expired, nothing is stored and the earlier claim is returned.
   */
  abstract saveEvents(events: EventWithDeliveries[], idempotency?: IdempotencyClaim | null): Promise<SaveEventsOutcome>;
  /** Tenant-scoped; items without their data. */
  abstract list(query: EventQuery): Promise<KeysetPage<WebhookEventSummary>>;
  /** Tenant-scoped: another tenant's event is not found. */
  abstract findWithDeliveries(tenantId: string | null, id: string): Promise<WebhookEventWithDeliveries | null>;
}
