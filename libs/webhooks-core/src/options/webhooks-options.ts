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
  /**
   * Sends in flight at once in one worker process. A send mostly waits on its socket, so this is sized for I/O;
   * each endpoint still gets at most its own concurrency of them.
   */
  workerConcurrency: number;
  /**
   * Of those, how many one worker process prepares at once (taken up, read, signed, not yet sent). It claims
   * more only while fewer are being prepared, so a backlog drained at the machine's full speed does not queue
   * every other delivery's way out behind its own work; sends waiting on a receiver do not count.
   */
  workerProcessingLimit: number;
  /**
   * How often an idle worker asks the scheduler again: for endpoints whose pause, cool-down or rate limit is
   * over, and places freed by another process. Deliveries handed over wake it at once.
   */
  workerPollMs: number;
  /** The share (percent) of a worker's sends kept for retries; first attempts have the rest to themselves. */
  retrySharePercent: number;
  /** Sends in flight at once to one endpoint (subscription), all workers together, unless it sets its own. */
  endpointConcurrency: number;
  /** An endpoint's breaker opens when at least this share (0-1) of its recent attempts failed... */
  breakerFailureRate: number;
  /** ...out of at least this many attempts... */
  breakerMinAttempts: number;
  /** ...within this sliding window. */
  breakerWindowMs: number;
  /** It also opens after this many timeouts in a row (0: never on that count). */
  breakerTimeoutsInRow: number;
  /** It stays open this long; then one probe goes, whose answer closes or reopens it. */
  breakerCooldownMs: number;
  /** How often the sweeper looks for pending deliveries the scheduler lost. */
  sweepIntervalMs: number;
  /** A pending delivery is only handed over again once it is this much past due (it is normally sent first). */
  sweepGraceMs: number;
  /**
   * How long a worker's lease on a delivery it sends lasts without renewal (renewed at a third of that while it
   * runs). When a worker dies mid-send, its endpoints get their places back and its deliveries are handed out
   * again about this long after.
   */
  jobLockDurationMs: number;
  /**
   * On shutdown a worker stops claiming and waits this long for the deliveries in flight. One still running then
   * is cut off and sent again later (its lease expires), so it is never lost.
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
  /**
   * An HTTP proxy every delivery goes through (a CONNECT tunnel per connection), so deliveries leave from the
   * proxy's addresses; null: direct. The private-network guard still applies to the target.
   */
  egressProxyUrl: string | null;
  userAgent: string;
  /** Header names, or parts of names, redacted beside the built-in credential names (see HeaderRedactor). */
  redactedHeaderWords: string[];
}

export const DEFAULT_WEBHOOKS_OPTIONS: WebhooksOptions = {
  timeoutDuration: 60,
  maxSendAttemptCount: 5,
  isAutomaticSubscriptionDeactivationEnabled: true,
  maxConsecutiveFailCountBeforeDeactivateSubscription: 15,
  retryBaseDelayMs: 30_000,
  retryMaxDelayMs: 6 * 60 * 60 * 1000,
  retryAfterMaxMs: 60 * 60 * 1000,
  workerConcurrency: 200,
  workerProcessingLimit: 48,
  workerPollMs: 20,
  retrySharePercent: 20,
  endpointConcurrency: 10,
  breakerFailureRate: 0.5,
  breakerMinAttempts: 20,
  breakerWindowMs: 60_000,
  breakerTimeoutsInRow: 5,
  breakerCooldownMs: 30_000,
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
  egressProxyUrl: null,
  userAgent: 'Hookline-Webhooks/0.1 (+https://github.com/hookline)',
  redactedHeaderWords: [],
};

/** The longest overlap a secret rotation may ask for (30 days). */
export const MAX_SECRET_ROTATION_OVERLAP_SECONDS = 30 * 24 * 60 * 60;

/** Injection token of the resolved WebhooksOptions. */
export const WEBHOOKS_OPTIONS = Symbol('WEBHOOKS_OPTIONS');
