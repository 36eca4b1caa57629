/** A tenant's erasure: requested once, then run in the background until none of the tenant's rows is left. */
export interface TenantErasure {
  tenantId: string;
  state: 'running' | 'completed';
  requestedAt: Date;
  completedAt: Date | null;
  /** Rows deleted so far, per table. */
  deletedRows: Record<string, number>;
}

/** What expunging an event changed. */
export interface ExpungedEvent {
  webhookEventId: string;
  expungedAt: Date;
  /** Attempts whose stored request headers, response body and response headers were erased. */
  expungedAttempts: number;
  /** Deliveries still pending, now abandoned: they would have sent the erased payload. */
  abandonedDeliveries: number;
}

/** One statement's share of a tenant erasure. */
export interface ErasedBatch {
  table: string;
  deleted: number;
  /** The subscriptions this batch deleted (none unless `table` holds subscriptions). */
  subscriptionIds: string[];
}

/** Port: erasing a tenant's data and an event's payload, in the database. */
export abstract class WebhookDataLifecycleStore {
  /**
   * Starts an erasure of the tenant, or restarts a completed one (rows may have been written since); a running
   * one is returned as it is.
   */
  abstract requestErasure(tenantId: string, at: Date): Promise<TenantErasure>;
  abstract findErasure(tenantId: string): Promise<TenantErasure | null>;
  /**
   * Takes a running erasure that no process holds (never held, released, or its holder's lease ran out) and
   * holds it until `leaseUntil`. Null when there is none.
   */
  abstract claimErasure(now: Date, leaseUntil: Date): Promise<string | null>;
  /**
   * Deletes up to `limit` of the tenant's rows from the first table that still holds some, counts them in the
   * erasure and extends its lease, in one statement. Returns the table and count (and the ids of the
   * subscriptions deleted, for the scheduler to forget), or null when no table holds a row of the tenant.
   */
  abstract eraseBatch(tenantId: string, limit: number, leaseUntil: Date): Promise<ErasedBatch | null>;
  abstract completeErasure(tenantId: string, at: Date): Promise<void>;
  /** Lets another process take the erasure at once (this one is stopping). */
  abstract releaseErasure(tenantId: string): Promise<void>;
  /**
   * Erases the event's payload and publish headers and its attempts' stored request headers, response bodies
   * and response headers; keeps the rest. Pending deliveries are abandoned. Tenant-scoped: null when the tenant
   * has no such event.
   */
  abstract expungeEvent(tenantId: string | null, id: string, at: Date): Promise<ExpungedEvent | null>;
}
