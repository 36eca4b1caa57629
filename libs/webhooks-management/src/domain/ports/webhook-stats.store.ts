/** Delivery figures of a tenant, or of one of its subscriptions, over a window. */
export interface WebhookStats {
  /** Events published in the window (for one subscription: the events delivered to it). */
  events: number;
  /** Deliveries created in the window, and where they stand now. */
  deliveries: number;
  succeeded: number;
  /** Failed for good, or abandoned. */
  failed: number;
  pending: number;
  /** succeeded / (succeeded + failed); null when none has settled. */
  successRate: number | null;
  /** Attempts made in the window. */
  attempts: number;
  failedAttempts: number;
  /** failedAttempts / attempts; null without attempts. */
  attemptFailureRate: number | null;
  avgResponseTimeMs: number | null;
  p95ResponseTimeMs: number | null;
}

export interface WebhookStatsWindow {
  tenantId: string | null;
  /** One subscription (of that tenant) only. */
  subscriptionId?: string;
  since: Date;
}

/** The latest failed attempt of a subscription. */
export interface LastFailedAttempt {
  responseStatusCode: number | null;
  error: string | null;
  creationTime: Date;
}

/** The attempts of one stretch of time. */
export interface WebhookStatsBucket {
  start: Date;
  attempts: number;
  succeeded: number;
  p50ResponseTimeMs: number | null;
  p95ResponseTimeMs: number | null;
}

/** A tenant as the host's overview shows it: its subscriptions, and its traffic since a time. */
export interface TenantOverview {
  tenantId: string;
  subscriptions: number;
  activeSubscriptions: number;
  events: number;
  /** Deliveries created since then that failed for good or were abandoned. */
  failedDeliveries: number;
  pendingDeliveries: number;
}

/** Port: figures computed by the database, never by loading rows. */
export abstract class WebhookStatsStore {
  /** One query. */
  abstract stats(window: WebhookStatsWindow): Promise<WebhookStats>;
  /** One query: the window's attempts in buckets of `bucketSeconds` from `since`; buckets without attempts are left out. */
  abstract timeline(window: WebhookStatsWindow, bucketSeconds: number): Promise<WebhookStatsBucket[]>;
  /** Every tenant with a subscription or an event since `since`, by id. One query. */
  abstract tenants(
    since: Date,
    skipCount: number,
    maxResultCount: number,
  ): Promise<{ totalCount: number; items: TenantOverview[] }>;
  abstract lastFailedAttempt(tenantId: string | null, subscriptionId: string): Promise<LastFailedAttempt | null>;
}
