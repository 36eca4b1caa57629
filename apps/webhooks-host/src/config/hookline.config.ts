import { Transform, plainToInstance } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';
import type { EncryptionKey, FeatureGrants, WebhooksOptions } from '@hookline/webhooks-core';
import {
  DEFAULT_WEBHOOKS_OPTIONS,
  MAX_SECRET_ROTATION_OVERLAP_SECONDS,
  REDACTED_HEADER_WORD_REGEX,
  parseEncryptionKeys,
} from '@hookline/webhooks-core';
import {
  DEFAULT_API_KEY_CACHE_MS,
  DEFAULT_RETENTION_DAYS,
  PortalSessionOptions,
  WebhooksAuthOptions,
} from '@hookline/webhooks-management';
import { WebhooksRabbitMqOptions, deadLetterQueueOf } from '@hookline/webhooks-rabbitmq';

const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' || value === true
    ? true
    : value === 'false' || value === '0' || value === false
      ? false
      : value;
const toWordList = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((word) => word.trim()) : value;
const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/**
 * Every setting the service reads, as environment variables with defaults that run on a developer machine
 * (local PostgreSQL and Redis). Validated at start-up: a bad value stops the process naming the variable.
 */
export class HooklineEnvironment {
  /** all: API and worker in one process; api or worker to scale them apart (launch.ts starts both when unset). */
  @IsIn(['all', 'api', 'worker']) ROLE: 'all' | 'api' | 'worker' = 'all';
  @Transform(toInt) @Min(0) @Max(65535) @IsInt() PORT = 3000;
  @IsString() HOST = '0.0.0.0';
  @Matches(/^postgres(ql)?:\/\/.+\/[^/]+$/, { message: 'must be a postgres:// URL naming a database' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/hookline';
  @Transform(toInt) @Min(1) @Max(500) @IsInt() DATABASE_POOL_SIZE = 20;
  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// URL' }) REDIS_URL = 'redis://127.0.0.1:6379';
  /**
   * Prefix of every Redis key, so several installations can share one Redis. On a Redis Cluster, wrap it (or a
   * part of it) in braces, e.g. `{hookline}`: the hash tag keeps every key of the queue in one slot.
   */
  @Matches(/^(?:[A-Za-z0-9_:.-]*\{[A-Za-z0-9_:.-]+\}[A-Za-z0-9_:.-]*|[A-Za-z0-9_:.-]+)$/, {
    message: 'must be letters, digits, "_", ":", "." or "-", with at most one {hash tag}',
  })
  QUEUE_PREFIX = 'hookline';
  /** YAML or JSON file of webhook definitions; empty for none. */
  @IsString() WEBHOOKS_DEFINITIONS_FILE = 'config/webhooks.definitions.yaml';
  /** How often each process looks for changes to stored definitions made by other processes. */
  @Transform(toInt)
  @Min(100)
  @IsInt()
  WEBHOOKS_DEFINITIONS_REFRESH_MS = DEFAULT_WEBHOOKS_OPTIONS.definitionsRefreshIntervalMs;
  /** JSON: tenant id (or "*") to granted features. Unset: every feature granted. */
  @IsString() WEBHOOKS_FEATURE_GRANTS = '';
  @Transform(toInt) @Min(1) @Max(300) @IsInt() WEBHOOKS_TIMEOUT_DURATION = DEFAULT_WEBHOOKS_OPTIONS.timeoutDuration;
  @Transform(toInt) @Min(1) @Max(100) @IsInt() WEBHOOKS_MAX_SEND_ATTEMPT_COUNT = DEFAULT_WEBHOOKS_OPTIONS.maxSendAttemptCount;
  @Transform(toBoolean)
  @IsBoolean()
  WEBHOOKS_AUTO_DEACTIVATION_ENABLED = DEFAULT_WEBHOOKS_OPTIONS.isAutomaticSubscriptionDeactivationEnabled;
  @Transform(toInt)
  @Min(1)
  @Max(10_000)
  @IsInt()
  WEBHOOKS_MAX_CONSECUTIVE_FAILURES = DEFAULT_WEBHOOKS_OPTIONS.maxConsecutiveFailCountBeforeDeactivateSubscription;
  @Transform(toInt) @Min(1) @IsInt() WEBHOOKS_RETRY_BASE_DELAY_MS = DEFAULT_WEBHOOKS_OPTIONS.retryBaseDelayMs;
  @Transform(toInt) @Min(1) @IsInt() WEBHOOKS_RETRY_MAX_DELAY_MS = DEFAULT_WEBHOOKS_OPTIONS.retryMaxDelayMs;
  @Transform(toInt) @Min(0) @IsInt() WEBHOOKS_RETRY_AFTER_MAX_MS = DEFAULT_WEBHOOKS_OPTIONS.retryAfterMaxMs;
  @Transform(toInt) @Min(1) @Max(1000) @IsInt() WEBHOOKS_WORKER_CONCURRENCY = DEFAULT_WEBHOOKS_OPTIONS.workerConcurrency;
  /** Of those, deliveries one worker prepares at once (taken up, read, signed, not yet sent). */
  @Transform(toInt) @Min(1) @Max(1000) @IsInt() WEBHOOKS_WORKER_PROCESSING_LIMIT = DEFAULT_WEBHOOKS_OPTIONS.workerProcessingLimit;
  /** How often an idle worker asks the scheduler again; deliveries handed over wake it at once. */
  @Transform(toInt) @Min(1) @Max(60_000) @IsInt() WEBHOOKS_WORKER_POLL_MS = DEFAULT_WEBHOOKS_OPTIONS.workerPollMs;
  /** Share (percent) of a worker's sends kept for retries; first attempts have the rest. */
  @Transform(toInt) @Min(1) @Max(90) @IsInt() WEBHOOKS_RETRY_SHARE_PERCENT = DEFAULT_WEBHOOKS_OPTIONS.retrySharePercent;
  /** Sends in flight at once to one endpoint, all workers together, unless its subscription sets its own. */
  @Transform(toInt) @Min(1) @Max(1000) @IsInt() WEBHOOKS_ENDPOINT_CONCURRENCY = DEFAULT_WEBHOOKS_OPTIONS.endpointConcurrency;
  /** An endpoint's breaker opens when this percentage of its recent attempts failed... */
  @Transform(toInt) @Min(1) @Max(100) @IsInt() WEBHOOKS_BREAKER_FAILURE_PERCENT =
    DEFAULT_WEBHOOKS_OPTIONS.breakerFailureRate * 100;
  /** ...out of at least this many... */
  @Transform(toInt) @Min(1) @IsInt() WEBHOOKS_BREAKER_MIN_ATTEMPTS = DEFAULT_WEBHOOKS_OPTIONS.breakerMinAttempts;
  /** ...within this window. */
  @Transform(toInt) @Min(1000) @IsInt() WEBHOOKS_BREAKER_WINDOW_MS = DEFAULT_WEBHOOKS_OPTIONS.breakerWindowMs;
  /** It also opens after this many timeouts in a row (0: never on that count). */
  @Transform(toInt) @Min(0) @IsInt() WEBHOOKS_BREAKER_TIMEOUTS_IN_ROW = DEFAULT_WEBHOOKS_OPTIONS.breakerTimeoutsInRow;
  /** How long it stays open before one probe is sent. */
  @Transform(toInt) @Min(100) @IsInt() WEBHOOKS_BREAKER_COOLDOWN_MS = DEFAULT_WEBHOOKS_OPTIONS.breakerCooldownMs;
  @Transform(toInt) @Min(100) @IsInt() WEBHOOKS_SWEEP_INTERVAL_MS = DEFAULT_WEBHOOKS_OPTIONS.sweepIntervalMs;
  @Transform(toInt) @Min(0) @IsInt() WEBHOOKS_SWEEP_GRACE_MS = DEFAULT_WEBHOOKS_OPTIONS.sweepGraceMs;
  /** A dead worker's leases expire (its deliveries are sent again, its endpoints get their places back) after about this long. */
  @Transform(toInt) @Min(1000) @IsInt() WEBHOOKS_JOB_LOCK_MS = DEFAULT_WEBHOOKS_OPTIONS.jobLockDurationMs;
  /** On SIGTERM, how long a worker lets the deliveries in flight finish before it closes its connections. */
  @Transform(toInt) @Min(0) @Max(600_000) @IsInt() WEBHOOKS_SHUTDOWN_GRACE_MS = DEFAULT_WEBHOOKS_OPTIONS.shutdownGraceMs;
  /** Let webhooks reach loopback and private addresses (local development); off guards against SSRF. */
  @Transform(toBoolean) @IsBoolean() WEBHOOKS_ALLOW_PRIVATE_NETWORKS = DEFAULT_WEBHOOKS_OPTIONS.allowPrivateNetworks;
  /** Largest `data` of a published event, in bytes of its JSON text (413 past it). */
  /** Comma-separated header names, or parts of names, whose values are stored and shown as [redacted]. */
  @Transform(toWordList)
  @IsArray()
  @Matches(REDACTED_HEADER_WORD_REGEX, { each: true, message: 'must list header names or parts of names, separated by commas' })
  WEBHOOKS_REDACTED_HEADERS: string[] = [];
  @Transform(toInt) @Min(2) @IsInt() WEBHOOKS_MAX_EVENT_DATA_BYTES = DEFAULT_WEBHOOKS_OPTIONS.maxEventDataBytes;
  /** Most deliveries one replay (POST …/subscriptions/{id}/replay) may re-send. */
  @Transform(toInt) @Min(1) @Max(1_000_000) @IsInt() WEBHOOKS_REPLAY_MAX_DELIVERIES =
    DEFAULT_WEBHOOKS_OPTIONS.replayMaxDeliveries;
  /** After a secret rotation, how long the old secret keeps signing beside the new one (seconds, at most 30 days). */
  @Transform(toInt)
  @Min(0)
  @Max(MAX_SECRET_ROTATION_OVERLAP_SECONDS)
  @IsInt()
  WEBHOOKS_SECRET_ROTATION_OVERLAP_SECONDS = DEFAULT_WEBHOOKS_OPTIONS.secretRotationOverlapSeconds;
  /** The HTTP client that POSTs deliveries: axios, or undici (the same transport without axios: less CPU per request). */
  @IsIn(['axios', 'undici']) WEBHOOKS_HTTP_CLIENT: 'axios' | 'undici' = DEFAULT_WEBHOOKS_OPTIONS.httpClient;
  /** An HTTP proxy (http:// or https://, credentials in the URL) that every delivery tunnels through; empty: direct. */
  @IsString() WEBHOOKS_EGRESS_PROXY_URL = '';
  /** Largest accepted request body, in bytes. */
  @Transform(toInt) @Min(1024) @IsInt() HTTP_BODY_LIMIT_BYTES = 1024 * 1024;
  /**
   * The host administrator's API key (every permission, may act for any tenant with `__tenant`). Unset: only
   * keys created through the API (or JWTs) are accepted, and nobody can create the first one.
   */
  @ValidateIf((e: HooklineEnvironment) => e.WEBHOOKS_ADMIN_API_KEY !== '')
  @MinLength(24, { message: 'must be at least 24 characters' })
  WEBHOOKS_ADMIN_API_KEY = '';
  /** The key that encrypts subscription secrets at rest: 32 bytes in base64. Required when NODE_ENV=production. */
  @IsString() WEBHOOKS_ENCRYPTION_KEY = '';
  /** Several keys for rotation instead: `id:base64,id:base64`, newest first (it encrypts; all decrypt). */
  @IsString() WEBHOOKS_ENCRYPTION_KEYS = '';
  /** How long a verified API key is trusted without reading it again: a revocation reaches every process within this. */
  @Transform(toInt) @Min(0) @Max(60_000) @IsInt() WEBHOOKS_API_KEY_CACHE_MS = DEFAULT_API_KEY_CACHE_MS;
  /**
   * Days the delivery history (events, deliveries, attempts) is kept after the day its event was published;
   * the worker drops older days whole, keeping any day with a delivery still pending.
   */
  @Transform(toInt) @Min(1) @Max(3650) @IsInt() WEBHOOKS_RETENTION_DAYS = DEFAULT_RETENTION_DAYS;
  /** Days attempts' response bodies and headers are kept, when shorter than the history (0: as long as it). */
  @Transform(toInt) @Min(0) @Max(3650) @IsInt() WEBHOOKS_RESPONSE_RETENTION_DAYS = 0;
  /**
   * Requests one credential may make to the HTTP API per window, counted in Redis across every process (429 with
   * Retry-After past it); publishing is not counted. 0: unlimited.
   */
  @Transform(toInt) @Min(0) @Max(1_000_000) @IsInt() WEBHOOKS_RATE_LIMIT_REQUESTS = 600;
  @Transform(toInt) @Min(1) @Max(86_400) @IsInt() WEBHOOKS_RATE_LIMIT_WINDOW_SECONDS = 60;
  /** JWT bearer tokens from an identity server: an HS256 shared secret, or a JWKS address. Both empty: off. */
  @IsString() WEBHOOKS_JWT_SECRET = '';
  @ValidateIf((e: HooklineEnvironment) => e.WEBHOOKS_JWT_JWKS_URL !== '')
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { message: 'must be an http(s) URL' })
  WEBHOOKS_JWT_JWKS_URL = '';
  /** Checked when set. */
  @IsString() WEBHOOKS_JWT_ISSUER = '';
  @IsString() WEBHOOKS_JWT_AUDIENCE = '';
  @Matches(/^\S+$/) WEBHOOKS_JWT_TENANT_CLAIM = 'tenantid';
  @Matches(/^\S+$/) WEBHOOKS_JWT_PERMISSIONS_CLAIM = 'permissions';
  /** RabbitMQ to consume WebhooksEventData messages from (the distributed event bus); empty: not consumed. */
  @ValidateIf((e: HooklineEnvironment) => e.RABBITMQ_URL !== '')
  @Matches(/^amqps?:\/\/.+/, { message: 'must be an amqp:// or amqps:// URL' })
  RABBITMQ_URL = '';
  /** Durable queue of WebhooksEventData messages; its dead letters go to `<queue>.dead-letter`. */
  @Matches(/^[A-Za-z0-9_.:-]{1,200}$/, { message: 'must be 1-200 letters, digits, ".", "_", ":" or "-"' })
  RABBITMQ_QUEUE = 'hookline.webhooks';
  /** Messages handled at once. */
  @Transform(toInt) @Min(1) @Max(1000) @IsInt() RABBITMQ_PREFETCH = 20;
  /** Wait before a message goes back to the queue after an infrastructure failure (PostgreSQL down). */
  @Transform(toInt) @Min(0) @Max(600_000) @IsInt() RABBITMQ_REQUEUE_DELAY_MS = 1000;
  /** Comma-separated origins (`https://app.example.com`) whose pages may show the portal in an iframe. */
  @IsString() WEBHOOKS_PORTAL_ALLOWED_ORIGINS = '';
  /** The origin browsers reach this service at, for the portal URLs it hands out; empty: the request's own. */
  @ValidateIf((e: HooklineEnvironment) => e.WEBHOOKS_PORTAL_PUBLIC_URL !== '')
  @Matches(/^https?:\/\/[^/?#\s]+\/?$/, { message: 'must be an origin like https://hooks.example.com' })
  WEBHOOKS_PORTAL_PUBLIC_URL = '';
  /** SameSite of the portal's session cookie; `none` lets a page on another site embed it (HTTPS only). */
  @IsIn(['strict', 'lax', 'none']) WEBHOOKS_PORTAL_COOKIE_SAMESITE: PortalSessionOptions['cookieSameSite'] = 'strict';
  @IsIn(['json', 'text']) LOG_FORMAT: 'json' | 'text' = 'json';
  @IsIn(['error', 'warn', 'log', 'debug', 'verbose']) LOG_LEVEL: 'error' | 'warn' | 'log' | 'debug' | 'verbose' = 'log';
}

export interface HooklineConfig {
  role: HooklineEnvironment['ROLE'];
  http: { port: number; host: string; bodyLimitBytes: number };
  database: { url: string; poolSize: number };
  redis: { url: string; prefix: string };
  definitionsFile: string | null;
  featureGrants: FeatureGrants | null;
  webhooks: WebhooksOptions;
  log: { json: boolean; level: HooklineEnvironment['LOG_LEVEL'] };
  auth: WebhooksAuthOptions;
  portal: PortalSessionOptions & { allowedOrigins: string[] };
  /** Per credential on the HTTP API; requests 0: unlimited. */
  rateLimit: { requests: number; windowSeconds: number };
  /** Null when RABBITMQ_URL is unset. */
  rabbitmq: WebhooksRabbitMqOptions | null;
  /** Keys that encrypt secrets at rest, newest first; empty: secrets are stored in plain text (not in production). */
  encryptionKeys: EncryptionKey[];
  /** responseRetentionDays null: response bodies and headers are kept as long as the rest. */
  history: { retentionDays: number; responseRetentionDays: number | null };
}

export class ConfigurationError extends Error {}

/** Variables where an empty value is a choice ("none"), not an unset one. Every other empty value is unset. */
const EMPTY_MEANS_NONE = new Set(['WEBHOOKS_DEFINITIONS_FILE']);

/** Reads and validates the configuration; throws ConfigurationError naming every bad variable. */
export function loadHooklineConfig(env: Record<string, string | undefined> = process.env): HooklineConfig {
  const known = Object.keys(new HooklineEnvironment());
  const isGiven = (k: string) => env[k] !== undefined && (env[k] !== '' || EMPTY_MEANS_NONE.has(k));
  const given = Object.fromEntries(known.filter(isGiven).map((k) => [k, env[k]]));
  const e = plainToInstance(HooklineEnvironment, given);
  const problems = validateSync(e, { stopAtFirstError: true }).flatMap((v) =>
    Object.values(v.constraints ?? {}).map((m) => `${v.property}: ${m} (got '${env[v.property]}')`),
  );
  const featureGrants = parseFeatureGrants(e.WEBHOOKS_FEATURE_GRANTS, problems);
  const portalOrigins = parseOrigins(e.WEBHOOKS_PORTAL_ALLOWED_ORIGINS, problems);
  if (e.WEBHOOKS_JWT_SECRET && e.WEBHOOKS_JWT_JWKS_URL) {
    problems.push('WEBHOOKS_JWT_SECRET and WEBHOOKS_JWT_JWKS_URL: set one of them, not both');
  } else if (e.WEBHOOKS_JWT_SECRET && e.WEBHOOKS_JWT_SECRET.length < 32) {
    problems.push('WEBHOOKS_JWT_SECRET: must be at least 32 characters (an HS256 key)');
  }
  if (e.WEBHOOKS_EGRESS_PROXY_URL && !isProxyUrl(e.WEBHOOKS_EGRESS_PROXY_URL)) {
    // Not echoed: it may hold the proxy's credentials.
    problems.push('WEBHOOKS_EGRESS_PROXY_URL: must be an http:// or https:// URL of a proxy (host and port, no path)');
  }
  const encryption = parseEncryptionKeys(e.WEBHOOKS_ENCRYPTION_KEY, e.WEBHOOKS_ENCRYPTION_KEYS);
  problems.push(...encryption.problems);
  if (env.NODE_ENV === 'production' && !e.WEBHOOKS_ENCRYPTION_KEY && !e.WEBHOOKS_ENCRYPTION_KEYS) {
    problems.push('WEBHOOKS_ENCRYPTION_KEY: required when NODE_ENV=production (subscription secrets are encrypted with it)');
  }
  if (e.WEBHOOKS_RESPONSE_RETENTION_DAYS >= e.WEBHOOKS_RETENTION_DAYS && e.WEBHOOKS_RESPONSE_RETENTION_DAYS !== 0) {
    problems.push('WEBHOOKS_RESPONSE_RETENTION_DAYS: must be below WEBHOOKS_RETENTION_DAYS (0: kept as long as the rest)');
  }
  if (problems.length) throw new ConfigurationError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return {
    role: e.ROLE,
    http: { port: e.PORT, host: e.HOST, bodyLimitBytes: e.HTTP_BODY_LIMIT_BYTES },
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    redis: { url: e.REDIS_URL, prefix: e.QUEUE_PREFIX },
    definitionsFile: e.WEBHOOKS_DEFINITIONS_FILE || null,
    featureGrants,
    webhooks: {
      ...DEFAULT_WEBHOOKS_OPTIONS,
      timeoutDuration: e.WEBHOOKS_TIMEOUT_DURATION,
      maxSendAttemptCount: e.WEBHOOKS_MAX_SEND_ATTEMPT_COUNT,
      isAutomaticSubscriptionDeactivationEnabled: e.WEBHOOKS_AUTO_DEACTIVATION_ENABLED,
      maxConsecutiveFailCountBeforeDeactivateSubscription: e.WEBHOOKS_MAX_CONSECUTIVE_FAILURES,
      retryBaseDelayMs: e.WEBHOOKS_RETRY_BASE_DELAY_MS,
      retryMaxDelayMs: e.WEBHOOKS_RETRY_MAX_DELAY_MS,
      retryAfterMaxMs: e.WEBHOOKS_RETRY_AFTER_MAX_MS,
      workerConcurrency: e.WEBHOOKS_WORKER_CONCURRENCY,
      workerProcessingLimit: e.WEBHOOKS_WORKER_PROCESSING_LIMIT,
      workerPollMs: e.WEBHOOKS_WORKER_POLL_MS,
      retrySharePercent: e.WEBHOOKS_RETRY_SHARE_PERCENT,
      endpointConcurrency: e.WEBHOOKS_ENDPOINT_CONCURRENCY,
      breakerFailureRate: e.WEBHOOKS_BREAKER_FAILURE_PERCENT / 100,
      breakerMinAttempts: e.WEBHOOKS_BREAKER_MIN_ATTEMPTS,
      breakerWindowMs: e.WEBHOOKS_BREAKER_WINDOW_MS,
      breakerTimeoutsInRow: e.WEBHOOKS_BREAKER_TIMEOUTS_IN_ROW,
      breakerCooldownMs: e.WEBHOOKS_BREAKER_COOLDOWN_MS,
      sweepIntervalMs: e.WEBHOOKS_SWEEP_INTERVAL_MS,
      sweepGraceMs: e.WEBHOOKS_SWEEP_GRACE_MS,
      jobLockDurationMs: e.WEBHOOKS_JOB_LOCK_MS,
      shutdownGraceMs: e.WEBHOOKS_SHUTDOWN_GRACE_MS,
      allowPrivateNetworks: e.WEBHOOKS_ALLOW_PRIVATE_NETWORKS,
      httpClient: e.WEBHOOKS_HTTP_CLIENT,
      egressProxyUrl: e.WEBHOOKS_EGRESS_PROXY_URL || null,
      maxEventDataBytes: e.WEBHOOKS_MAX_EVENT_DATA_BYTES,
      redactedHeaderWords: e.WEBHOOKS_REDACTED_HEADERS,
      replayMaxDeliveries: e.WEBHOOKS_REPLAY_MAX_DELIVERIES,
      secretRotationOverlapSeconds: e.WEBHOOKS_SECRET_ROTATION_OVERLAP_SECONDS,
      definitionsRefreshIntervalMs: e.WEBHOOKS_DEFINITIONS_REFRESH_MS,
    },
    log: { json: e.LOG_FORMAT === 'json', level: e.LOG_LEVEL },
    auth: {
      adminApiKey: e.WEBHOOKS_ADMIN_API_KEY || null,
      apiKeyCacheMs: e.WEBHOOKS_API_KEY_CACHE_MS,
      jwt:
        e.WEBHOOKS_JWT_SECRET || e.WEBHOOKS_JWT_JWKS_URL
          ? {
              secret: e.WEBHOOKS_JWT_SECRET || null,
              jwksUrl: e.WEBHOOKS_JWT_JWKS_URL || null,
              issuer: e.WEBHOOKS_JWT_ISSUER || null,
              audience: e.WEBHOOKS_JWT_AUDIENCE || null,
              tenantClaim: e.WEBHOOKS_JWT_TENANT_CLAIM,
              permissionsClaim: e.WEBHOOKS_JWT_PERMISSIONS_CLAIM,
            }
          : null,
    },
    portal: {
      allowedOrigins: portalOrigins,
      publicUrl: e.WEBHOOKS_PORTAL_PUBLIC_URL.replace(/\/+$/, '') || null,
      cookieSameSite: e.WEBHOOKS_PORTAL_COOKIE_SAMESITE,
    },
    rateLimit: { requests: e.WEBHOOKS_RATE_LIMIT_REQUESTS, windowSeconds: e.WEBHOOKS_RATE_LIMIT_WINDOW_SECONDS },
    history: { retentionDays: e.WEBHOOKS_RETENTION_DAYS, responseRetentionDays: e.WEBHOOKS_RESPONSE_RETENTION_DAYS || null },
    rabbitmq: e.RABBITMQ_URL
      ? {
          url: e.RABBITMQ_URL,
          queue: e.RABBITMQ_QUEUE,
          deadLetterQueue: deadLetterQueueOf(e.RABBITMQ_QUEUE),
          prefetch: e.RABBITMQ_PREFETCH,
          requeueDelayMs: e.RABBITMQ_REQUEUE_DELAY_MS,
        }
      : null,
    encryptionKeys: encryption.keys,
  };
}

function isProxyUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.pathname === '/' && !url.search;
  } catch {
    return false;
  }
}

function parseFeatureGrants(raw: string, problems: string[]): FeatureGrants | null {
  if (!raw) return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    const valid =
      parsed !== null &&
      typeof parsed === 'object' &&
      !Array.isArray(parsed) &&
      Object.values(parsed).every((v) => Array.isArray(v) && v.every((f) => typeof f === 'string'));
    if (valid) return parsed as FeatureGrants;
  } catch {
    /* reported below */
  }
  problems.push(`WEBHOOKS_FEATURE_GRANTS: must be JSON like {"tenant-1":["Feature.A"],"*":["Feature.B"]} (got '${raw}')`);
  return null;
}

/** `https://a.example.com, http://localhost:8080` → the origins; anything that is not a bare origin is reported. */
function parseOrigins(raw: string, problems: string[]): string[] {
  const origins = raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  const bad = origins.filter((o) => !/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(o));
  if (bad.length) {
    problems.push(
      `WEBHOOKS_PORTAL_ALLOWED_ORIGINS: each must be an origin like https://app.example.com (got '${bad.join("', '")}')`,
    );
  }
  return origins;
}
