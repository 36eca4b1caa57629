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
  /** Tenant-scoped: another tenant's subscription is not found. */
  abstract findById(tenantId: string | null, id: string): Promise<WebhookSubscription | null>;
  /**
   * The active subscriptions of exactly this tenant (null: host subscriptions only) holding any of `patterns`,
   * with what matching needs of them. One indexed query; never a scan of all subscriptions.
   */
  abstract findActiveByPatterns(tenantId: string | null, patterns: readonly string[]): Promise<MatchedSubscription[]>;
  /** The same for several tenants at once (a host publishing to many tenants), in one query. */
  abstract findActiveByTenantsAndPatterns(
    tenantIds: readonly string[],
    patterns: readonly string[],
  ): Promise<(MatchedSubscription & { tenantId: string })[]>;
  /** Sets the subscription inactive with the reason and stops its pending deliveries (they become abandoned). */
  abstract deactivate(id: string, reason: string, at: Date): Promise<void>;
  /** Active subscriptions of every tenant and the host together (an operations figure, not tenant data). */
  abstract countActive(): Promise<number>;
  /** Tenant-scoped, filtered and paged; creation time, newest first, unless sorted otherwise. */
  abstract list(query: SubscriptionQuery): Promise<PagedResult<WebhookSubscription>>;
  /**
   * Stores a new subscription, or a changed one (`expectedStamp`: the concurrency stamp the change was made
   * from). Refuses, writing nothing, when another subscription of the same tenant sends one of the same webhook
   * names to the same URI; the check and the write cannot interleave with another save of that tenant and URI.
   */
  abstract save(subscription: WebhookSubscription, expectedStamp?: string): Promise<SaveSubscriptionOutcome>;
  /**
   * Deletes those of these subscriptions that belong to the tenant. Their deliveries and attempts stay (listed
   * by the subscription's id until retention); pending deliveries are abandoned, never sent. Returns how many
   * were deleted.
   */
  abstract delete(tenantId: string | null, ids: readonly string[]): Promise<number>;
  /** Active again with a clean slate: no consecutive failures, no deactivation time or reason. Tenant-scoped. */
  abstract activate(tenantId: string | null, id: string): Promise<WebhookSubscription | null>;
  /**
   * A new signing secret; the old one keeps signing beside it until `previousSecretExpiresAt` (null: it stops
   * at once). Tenant-scoped.
   */
  abstract rotateSecret(
    tenantId: string | null,
    id: string,
    secret: string,
    previousSecretExpiresAt: Date | null,
  ): Promise<WebhookSubscription | null>;
}

/** What publishing reads of a subscription that holds the event's name: its id and its filter's JSON text. */
export interface MatchedSubscription {
  id: string;
  filter: string | null;
}

export const SUBSCRIPTION_SORT_FIELDS = [
  'creationTime',
  'webhookUri',
  'isActive',
  'consecutiveFailureCount',
  'deactivatedAt',
] as const;
export type SubscriptionSortField = (typeof SUBSCRIPTION_SORT_FIELDS)[number];

export interface SubscriptionQuery {
  tenantId: string | null;
  /** Text in the URI (case-insensitive). */
  webhookUri?: string;
  isActive?: boolean;
  /** Subscriptions listing exactly this name (or pattern) among their webhooks. */
  webhookName?: string;
  /** Inclusive bounds on the creation time. */
  creationTimeFrom?: Date;
  creationTimeTo?: Date;
  /** Default: newest first. */
  sorting?: Sorting<SubscriptionSortField>;
  skipCount: number;
  maxResultCount: number;
}

export type SaveSubscriptionOutcome =
  | { kind: 'saved' }
  | { kind: 'notFound' }
  /** The subscription changed since `expectedStamp` was read. */
  | { kind: 'stale' }
  /** Another subscription of the tenant already sends these names to this URI. */
  | { kind: 'duplicate'; existing: Pick<WebhookSubscription, 'id' | 'webhooks'> };

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

/**
 * A row's place in a list ordered by creation time, then id (both in the list's direction): its creation time
 * as PostgreSQL prints it (to the microsecond) and its id.
 */
export interface KeysetPosition {
  creationTime: string;
  id: string;
}

/** A page, and the position its last row holds when another page may follow (null: none does). */
export type KeysetPage<T> = PagedResult<T> & { next: KeysetPosition | null };

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

export abstract class WebhookEventStore {
  /**
   * Stores the events and their deliveries in one transaction. With `idempotency`, the key is claimed in
   * that same transaction (a unique index makes concurrent claims wait for each other): when it is already
   * held and not expired, nothing is stored and the earlier claim is returned.
   */
  abstract saveEvents(events: EventWithDeliveries[], idempotency?: IdempotencyClaim | null): Promise<SaveEventsOutcome>;
  /** Tenant-scoped; items without their data. */
  abstract list(query: EventQuery): Promise<KeysetPage<WebhookEventSummary>>;
  /** Tenant-scoped: another tenant's event is not found. */
  abstract findWithDeliveries(tenantId: string | null, id: string): Promise<WebhookEventWithDeliveries | null>;
}

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

/** A list's order: one field and a direction. */
export interface Sorting<F extends string> {
  field: F;
  direction: 'ASC' | 'DESC';
}

export const SEND_ATTEMPT_SORT_FIELDS = ['creationTime', 'attemptNumber', 'responseStatusCode', 'durationMs'] as const;
export type SendAttemptSortField = (typeof SEND_ATTEMPT_SORT_FIELDS)[number];

export interface SendAttemptQuery {
  tenantId: string | null;
  /** Only rows after this one (keyset paging, when sorted by creation time); skipCount then counts from there. */
  after?: KeysetPosition;
  webhookEventId?: string;
  subscriptionId?: string;
  /** success: the attempt got a 2xx; failed: anything else. */
  state?: 'success' | 'failed';
  responseStatusCode?: number;
  /** Inclusive bounds on the attempt's creation time. */
  creationTimeFrom?: Date;
  creationTimeTo?: Date;
  /** Text in the receiver's response body (case-insensitive). */
  responseContains?: string;
  /** Default: newest first. */
  sorting?: Sorting<SendAttemptSortField>;
  skipCount: number;
  maxResultCount: number;
}

export abstract class WebhookSendAttemptStore {
  /**
   * In one transaction: stores the attempt, moves its delivery to `transition`, and updates the subscription's run of consecutive failed attempts (reset by a
   * success). Returns that run's length.
   */
  abstract record(attempt: WebhookSendAttempt, transition: DeliveryTransition): Promise<{ consecutiveFailures: number }>;
  /**
   * Tenant-scoped, newest first unless sorted otherwise. `next` only when sorted by creation time (the default),
   * the one order keyset paging follows.
   */
  abstract list(query: SendAttemptQuery): Promise<KeysetPage<WebhookSendAttempt>>;
  /** Tenant-scoped: another tenant's attempt is not found. */
  abstract findById(tenantId: string | null, id: string): Promise<WebhookSendAttempt | null>;
  /** Deletes those of these attempts that belong to the tenant; returns how many. */
  abstract delete(tenantId: string | null, ids: readonly string[]): Promise<number>;
}
