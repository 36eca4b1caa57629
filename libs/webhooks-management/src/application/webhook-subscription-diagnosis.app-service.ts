import { Inject, Injectable } from '@nestjs/common';
import { WEBHOOKS_OPTIONS, WebhooksOptions } from '@hookline/webhooks-core';
import { WebhookSubscription } from '@hookline/webhooks';
import { Reachability, checkReachability } from './endpoint-reachability';
import { EndpointHealth, MANUAL_DEACTIVATION_REASON, WebhookSubscriptionAppService } from './webhook-subscription.app-service';
import { LastFailedAttempt, WebhookStats, WebhookStatsStore } from '../domain/ports/webhook-stats.store';

/** The reachability check gives up after this long (or the subscription's timeout, when shorter). */
const REACHABILITY_TIMEOUT_MS = 5000;
const DIAGNOSE_HOURS = 24;
/** A p95 past this share of the timeout is "close to the timeout". */
const SLOW_SHARE_OF_TIMEOUT = 0.8;
/** An attempt failure rate from which diagnose calls the endpoint failing. */
const FAILING_RATE = 0.2;

export interface WebhookSubscriptionDiagnosis {
  subscriptionId: string;
  webhookUri: string;
  isActive: boolean;
  deactivatedAt: Date | null;
  deactivationReason: string | null;
  consecutiveFailureCount: number;
  /** The run of failures that deactivates it; null when automatic deactivation is off. */
  deactivatesAfterConsecutiveFailures: number | null;
  timeoutSeconds: number;
  reachability: Reachability;
  /** Attempts of the last 24 hours. */
  recent: Pick<WebhookStats, 'attempts' | 'failedAttempts' | 'attemptFailureRate' | 'avgResponseTimeMs' | 'p95ResponseTimeMs'> & {
    hours: number;
  };
  lastFailedAttempt: LastFailedAttempt | null;
  /** How the scheduler serves it now (null when the scheduler did not answer). */
  health: EndpointHealth | null;
  recommendations: string[];
}

/** The diagnosis of one subscription: can it be reached, how its recent attempts went, and what to do about it. */
@Injectable()
export class WebhookSubscriptionDiagnosisAppService {
  constructor(
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
    private readonly stats: WebhookStatsStore,
    private readonly subscriptions: WebhookSubscriptionAppService,
  ) {}

  async diagnose(tenantId: string | null, id: string): Promise<WebhookSubscriptionDiagnosis> {
    const s = await this.subscriptions.get(tenantId, id);
    const timeoutSeconds = s.timeoutDuration ?? this.options.timeoutDuration;
    const [reachability, stats, lastFailedAttempt, health] = await Promise.all([
      checkReachability(s.webhookUri, {
        allowPrivateNetworks: this.options.allowPrivateNetworks,
        timeoutMs: Math.min(REACHABILITY_TIMEOUT_MS, timeoutSeconds * 1000),
      }),
      this.stats.stats({ tenantId, subscriptionId: id, since: new Date(Date.now() - DIAGNOSE_HOURS * 3600_000) }),
      this.stats.lastFailedAttempt(tenantId, id),
      this.subscriptions.health(tenantId, id).catch(() => null),
    ]);
    const diagnosis: Omit<WebhookSubscriptionDiagnosis, 'recommendations'> = {
      subscriptionId: s.id,
      webhookUri: s.webhookUri,
      isActive: s.isActive,
      deactivatedAt: s.deactivatedAt,
      deactivationReason: s.deactivationReason,
      consecutiveFailureCount: s.consecutiveFailureCount,
      deactivatesAfterConsecutiveFailures: this.options.isAutomaticSubscriptionDeactivationEnabled
        ? this.options.maxConsecutiveFailCountBeforeDeactivateSubscription
        : null,
      timeoutSeconds,
      reachability,
      recent: {
        hours: DIAGNOSE_HOURS,
        attempts: stats.attempts,
        failedAttempts: stats.failedAttempts,
        attemptFailureRate: stats.attemptFailureRate,
        avgResponseTimeMs: stats.avgResponseTimeMs,
        p95ResponseTimeMs: stats.p95ResponseTimeMs,
      },
      lastFailedAttempt,
      health,
    };
    return { ...diagnosis, recommendations: recommend(s, diagnosis) };
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Plain-language advice, most urgent first. */
function recommend(s: WebhookSubscription, d: Omit<WebhookSubscriptionDiagnosis, 'recommendations'>): string[] {
  const out: string[] = [];
  const activate = `POST /api/webhooks/subscriptions/${s.id}/activate`;
  if (!s.isActive) {
    const when = s.deactivatedAt ? ` at ${s.deactivatedAt.toISOString()}` : '';
    out.push(
      s.deactivationReason === MANUAL_DEACTIVATION_REASON
        ? `Deactivated by hand${when}: nothing is sent. ${activate} to resume.`
        : `Deactivated${when} (${s.deactivationReason ?? 'no reason recorded'}): nothing is sent. Fix the endpoint, then ${activate} (this resets the failure count).`,
    );
  }
  const { breaker, pausedUntil } = d.health ?? { breaker: null, pausedUntil: null };
  if (breaker?.state === 'open') {
    out.push(
      `Circuit breaker open since ${breaker.since!.toISOString()} after too many failed attempts: deliveries wait (spending no attempt) ` +
        `until ${breaker.until!.toISOString()}, then one probe is sent; a success resumes sending.`,
    );
  } else if (breaker?.state === 'half-open') {
    out.push('Circuit breaker half-open: one probe delivery is being tried; its success resumes sending, a failure reopens it.');
  }
  if (pausedUntil) {
    out.push(
      `Paused until ${pausedUntil.toISOString()}: the receiver answered 429 or 503 with Retry-After. Deliveries wait and spend no attempt.`,
    );
  }
  if (!d.reachability.reachable) {
    out.push(
      `Unreachable: ${d.reachability.error}. Check that ${d.reachability.target} resolves to a public address, accepts connections` +
        `${s.webhookUri.startsWith('https:') ? ' and presents a valid certificate' : ''}.`,
    );
  }
  const { attempts, failedAttempts, attemptFailureRate, p95ResponseTimeMs } = d.recent;
  if (attemptFailureRate !== null && attemptFailureRate >= FAILING_RATE) {
    const last = d.lastFailedAttempt;
    const lastText = last
      ? ` The last failure: ${last.responseStatusCode !== null ? `HTTP ${last.responseStatusCode}` : (last.error ?? 'no answer')}.`
      : '';
    out.push(
      `${failedAttempts} of ${attempts} attempts in the last ${d.recent.hours} h failed (${Math.round(attemptFailureRate * 100)}%). ` +
        `Answer 2xx once the event is accepted.${lastText}`,
    );
  }
  if (s.isActive && s.consecutiveFailureCount > 0 && d.deactivatesAfterConsecutiveFailures !== null) {
    out.push(
      `${s.consecutiveFailureCount} failed attempts in a row: at ${d.deactivatesAfterConsecutiveFailures} it is deactivated automatically.`,
    );
  }
  const timeoutMs = d.timeoutSeconds * 1000;
  if (p95ResponseTimeMs !== null && p95ResponseTimeMs >= SLOW_SHARE_OF_TIMEOUT * timeoutMs) {
    out.push(
      `Answers slowly: p95 over ${seconds(p95ResponseTimeMs)}, close to the timeout of ${d.timeoutSeconds} s. ` +
        `Answer at once and do the work afterwards, or raise timeoutDuration.`,
    );
  }
  if (!out.length) {
    out.push(attempts === 0 ? `No attempts in the last ${d.recent.hours} h; the endpoint is reachable.` : 'No problems found.');
  }
  return out;
}
