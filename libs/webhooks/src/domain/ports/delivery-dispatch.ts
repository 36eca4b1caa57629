import type { BreakerState, EndpointWindow } from '../delivery-lifecycle';

/**
 * Port: the scheduler between PostgreSQL (where every delivery lives) and the workers that send them. It holds
 * only delivery ids and the state needed to pick fairly and protect endpoints; losing it loses no delivery (the
 * sweeper hands PostgreSQL's pending deliveries to it again). The Bull/Redis adapter is the implementation.
 */

/** A delivery waiting for its endpoint (subscription), and the tenant whose turn it counts against. */
export interface DispatchItem {
  deliveryId: string;
  subscriptionId: string;
  tenantId: string | null;
}

/** First attempts and retries wait in lanes of their own, so first attempts never queue behind retries. */
export type DispatchLane = 'first' | 'retry';

/**
 * A delivery a worker may send now: it holds one of its endpoint's concurrency places until its receiver's answer
 * is reported (or released), and the delivery itself until the claim ends.
 */
export interface ClaimedDelivery extends DispatchItem {
  lane: DispatchLane;
  /** This claim's own lease, opaque: a copy of an older, expired claim of the same delivery is told apart by it. */
  lease: string;
  /** When the lease runs out unless it is renewed (epoch ms). */
  leaseUntil: number;
}

/** An endpoint's own limits (null: the defaults). */
export interface EndpointLimits {
  /** Sends in flight at once, all workers together. */
  concurrency: number | null;
  /** Sends per second, all workers together; null: unlimited. */
  ratePerSecond: number | null;
}

/** How a claimed delivery's send went, for the endpoint's breaker and pause. */
export interface SendReport {
  claim: ClaimedDelivery;
  /** The subscription's limits as the send read them (kept in step with PostgreSQL this way). */
  limits: EndpointLimits;
  /** `skipped`: nothing was sent (the delivery was no longer pending, its subscription inactive...). */
  result: 'succeeded' | 'failed' | 'skipped';
  timedOut: boolean;
  /** The receiver asked to be left alone until then (ms since the epoch). */
  pauseUntil: number | null;
}

/**
 * Right after a send was reported: whether the claim still holds its place (the caller then decides on the breaker
 * from its state and recent window, and frees the place with `release`).
 */
export type EndpointAfterSend = { claimHeld: false } | { claimHeld: true; breaker: BreakerState; window: EndpointWindow };

export interface BreakerMove {
  from: BreakerState;
  next: BreakerState;
}

/** What an endpoint looks like to the scheduler now. */
export interface EndpointDispatchStatus {
  breaker: BreakerState;
  /** The failure share (0-1) of the recent window's attempts; null when it holds none. */
  recentFailureRate: number | null;
  recentAttempts: number;
  inFlight: number;
  /** Deliveries due and waiting for this endpoint (both lanes). */
  backlog: number;
  pausedUntil: Date | null;
  concurrency: number;
  ratePerSecond: number | null;
}

/** Cluster-wide figures for metrics: bounded, with no per-endpoint detail. */
export interface DispatchCounts {
  /** Deliveries due and waiting for a send (held back by a cap, limit, pause or breaker, or just their turn). */
  waiting: number;
  inFlight: number;
  /** Retries waiting for their time. */
  retriesScheduled: number;
  endpoints: { breakerOpen: number; breakerHalfOpen: number; paused: number; atCapacity: number };
}

export abstract class DeliveryDispatch {
  /** Due deliveries join their endpoints' lanes (one already waiting or in flight is not added twice). False when the scheduler is unreachable. */
  abstract submit(items: readonly DispatchItem[], lane: DispatchLane): Promise<boolean>;
  /** The delivery joins the retry lane after `delayMs` (its one retry path). False when unreachable. */
  abstract retryLater(item: DispatchItem, delayMs: number): Promise<boolean>;
  /**
   * Deliveries that may be sent now, up to this process's `places` per lane less its claims not over yet
   * (wherever they are being sent), and `most` in all, shared between the lanes in the places' proportion:
   * tenants take turns, then each tenant's endpoints; an endpoint at its cap, over its rate, paused or with an
   * open breaker is passed over and costs nothing. Each claim is leased: a worker that dies without reporting
   * gives its places back when the lease expires.
   */
  abstract claim(places: Record<DispatchLane, number>, most: number): Promise<ClaimedDelivery[]>;
  /**
   * Puts claims on the senders' queue together: a worker process with a free sender takes them up and sends them.
   * Should none take them up, their leases expire and the deliveries are handed out again.
   */
  abstract handOut(claims: readonly ClaimedDelivery[]): Promise<void>;
  /** This process takes up no more handed-out claims; the sends it runs go on. */
  abstract stopTakingClaims(): Promise<void>;
  /** Closes the senders' queue in this process without waiting for the sends it runs. */
  abstract closeSenders(): Promise<void>;
  /**
   * A sender takes up a claim (once: a sender job runs once): false when its lease ran out before (the delivery
   * was handed out again), and then it must not be sent. A claim waits one lease at most.
   */
  abstract begin(claim: ClaimedDelivery): Promise<boolean>;
  /** Keeps the leases of the claims being sent alive (a send may take as long as its timeout). */
  abstract renew(claims: readonly ClaimedDelivery[]): Promise<void>;
  /**
   * Records a claim's send in the endpoint's window and applies a pause, as soon as the receiver answered: a
   * success while the breaker is closed, or a skip, frees the endpoint's place, so recording the attempt holds
   * no place; otherwise the place stays taken until `release`. A claim already over (its lease expired) changes
   * nothing.
   */
  abstract report(report: SendReport): Promise<EndpointAfterSend>;
  /**
   * Frees a held claim's place, moving the breaker first (unless another worker moved it from `breaker.from`), in
   * one step: no send slips in between a failure and the breaker it opens.
   */
  abstract release(claim: ClaimedDelivery, breaker: BreakerMove | null): Promise<void>;
  /**
   * Ends a claim once its attempt is recorded in PostgreSQL (or it was skipped): the scheduler lets go of the
   * delivery. Until then its lease runs, and a worker that dies recording leaves it to be handed out again.
   */
  abstract end(claim: ClaimedDelivery): Promise<void>;
  /** Lifts the endpoint's pause and breaker: an operator says it is fine again (activation, resend, replay). */
  abstract resume(subscriptionId: string, tenantId: string | null): Promise<void>;
  /**
   * Drops what the scheduler keeps of deleted endpoints: limits, breaker, window and pause. Deliveries of theirs
   * still waiting are handed out and skipped as before.
   */
  abstract forget(subscriptionIds: readonly string[]): Promise<void>;
  /** Stores an endpoint's limits (a subscription was saved). */
  abstract configure(subscriptionId: string, limits: EndpointLimits): Promise<void>;
  /**
   * Takes the delivery out of the scheduler (waiting or waiting for a retry), so it can be sent elsewhere:
   * false when a worker is sending it right now.
   */
  abstract withdraw(item: DispatchItem): Promise<boolean>;
  /** Cancels the waiting retries of these deliveries, if any (one being moved into its lane right now stays). */
  abstract cancelRetries(deliveryIds: readonly string[]): Promise<void>;
  /** Those of these deliveries the scheduler does not hold at all, or null when it did not answer: what the sweeper hands over. */
  abstract untracked<D extends DispatchItem>(items: readonly D[]): Promise<D[] | null>;
  abstract endpointStatus(subscriptionId: string): Promise<EndpointDispatchStatus>;
  abstract counts(): Promise<DispatchCounts>;
  /** True when the scheduler answers now. */
  abstract ping(): Promise<boolean>;
  /**
   * Calls `listener` whenever this process has handed deliveries over, so a worker in the same process claims
   * them at once rather than at its next poll.
   */
  abstract onSubmitted(listener: () => void): void;
}
