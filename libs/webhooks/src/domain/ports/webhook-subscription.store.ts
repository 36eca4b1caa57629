import type { PagedResult, WebhookSubscription } from '../webhook-model';
import type { Sorting } from './paging';

/**
 * Store port of subscriptions (ABP's IWebhookSubscriptionsStore). The webhooks-management lib implements it on
 * PostgreSQL; a host may provide its own.
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
   * by the subscription's id until retention); pending deliveries are abandoned, never sent. Returns the ids
   * deleted.
   */
  abstract delete(tenantId: string | null, ids: readonly string[]): Promise<string[]>;
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
