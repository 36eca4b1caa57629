/**
 * The module's options (ABP's AbpWebhooksOptions). The host fills them from its validated configuration;
 * every number here has a default that runs on a developer machine.
 */
export interface WebhooksOptions {
  /** HTTP timeout of one send, in seconds, unless a subscription sets its own. */
  timeoutDuration: number;
  /** Attempts per delivery, the first one included, unless a subscription sets its own. */
  maxSendAttemptCount: number;
  isAutomaticSubscriptionDeactivationEnabled: boolean;
  /** A subscription whose last N attempts all failed is deactivated. */
  maxConsecutiveFailCountBeforeDeactivateSubscription: number;
  /** First retry waits about this long; each later one twice as long, with jitter, up to retryMaxDelayMs. */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** A receiver's Retry-After is honoured up to this bound. */
  retryAfterMaxMs: number;
  /** Deliveries in flight at once in one worker process. */
  workerConcurrency: number;
  /**
   * Most fresh deliveries one queue job carries. Deliveries published together share jobs, so a worker pays
   * Redis and PostgreSQL round trips per job rather than per delivery; 1 gives every delivery its own job.
   */
  deliveriesPerJob: number;
  /** How often the sweeper looks for pending deliveries that lost their queue job. */
  sweepIntervalMs: number;
  /** A pending delivery is only re-enqueued once it is this much past due (its job normally runs first). */
  sweepGraceMs: number;
  /**
   * How long a worker's lock on a running job lasts without renewal (renewed at half that while it runs).
   * When a worker dies mid-delivery, another worker takes the job over about this long after.
   */
  jobLockDurationMs: number;
  /**
   * On shutdown a worker stops taking jobs and waits this long for the deliveries in flight. One still
   * running then is cut off and run again later (its job lock expires), so it is never lost.
   */
  shutdownGraceMs: number;
  /**
   * Let webhooks reach loopback, private and link-local addresses. Off by default: in a multi-tenant service a
   * tenant's URL must not reach the internal network (SSRF). Turn on for local development and tests.
   */
  allowPrivateNetworks: boolean;
  /** How often each process checks whether stored webhook definitions changed (one cheap query). */
  definitionsRefreshIntervalMs: number;
  /** Largest published event `data`, in bytes of its JSON text; larger is refused (HTTP 413). */
  maxEventDataBytes: number;
  /** Most deliveries one replay may re-send; a wider window is refused (narrow it or replay in parts). */
  replayMaxDeliveries: number;
  /** After a secret rotation, how long the replaced secret keeps signing beside the new one (seconds). */
  secretRotationOverlapSeconds: number;
  /** Bytes of a receiver's answer kept on the attempt row. */
  responseBodyLimitBytes: number;
  /** The HTTP client that POSTs: axios (default), or undici directly (less CPU per request). */
  httpClient: 'axios' | 'undici';
  userAgent: string;
}

export const DEFAULT_WEBHOOKS_OPTIONS: WebhooksOptions = {
  timeoutDuration: 60,
  maxSendAttemptCount: 5,
  isAutomaticSubscriptionDeactivationEnabled: true,
  maxConsecutiveFailCountBeforeDeactivateSubscription: 15,
  retryBaseDelayMs: 30_000,
  retryMaxDelayMs: 6 * 60 * 60 * 1000,
  retryAfterMaxMs: 60 * 60 * 1000,
  workerConcurrency: 50,
  deliveriesPerJob: 50,
  sweepIntervalMs: 30_000,
  sweepGraceMs: 60_000,
  jobLockDurationMs: 30_000,
  shutdownGraceMs: 20_000,
  allowPrivateNetworks: false,
  definitionsRefreshIntervalMs: 5_000,
  maxEventDataBytes: 256 * 1024,
  replayMaxDeliveries: 10_000,
  secretRotationOverlapSeconds: 24 * 60 * 60,
  responseBodyLimitBytes: 20 * 1024,
  httpClient: 'axios',
  userAgent: 'Hookline-Webhooks/0.1 (+https://github.com/hookline)',
};

/** The longest overlap a secret rotation may ask for (30 days). */
export const MAX_SECRET_ROTATION_OVERLAP_SECONDS = 30 * 24 * 60 * 60;

/** Injection token of the resolved WebhooksOptions. */
export const WEBHOOKS_OPTIONS = Symbol('WEBHOOKS_OPTIONS');
