import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { UnhandledExceptionBus } from '@nestjs/cqrs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Subscription } from 'rxjs';
import {
  AttemptRecordedObservation,
  DeliveryAbandonedObservation,
  EventPublishedObservation,
  HistoryRetentionPassObservation,
  IWebhookObserver,
  SubscriptionDeactivatedObservation,
  DeliveryDispatch,
  DispatchCounts,
  WebhookObserver,
  WebhookSubscriptionStore,
} from '@hookline/webhooks';

/** The scheduler's figures are read once for the gauges of one scrape. */
const DISPATCH_COUNTS_CACHE_MS = 500;
/** The active-subscription count is one SQL query, so scrapes closer together than this share it. */
const ACTIVE_SUBSCRIPTIONS_CACHE_MS = 5_000;
/** A scrape must not hang on a dependency that is away: a gauge that cannot be read is left out. */
const GAUGE_READ_TIMEOUT_MS = 1_000;

/**
 * The process's Prometheus metrics, in a registry of its own (several applications can share one Node
 * process, as the tests do). Fed by webhook observations and read on scrape; no label ever carries a tenant,
 * subscription, delivery or URL, so the number of series stays bounded.
 */
@Injectable()
@WebhookObserver()
export class HooklineMetrics implements IWebhookObserver, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(HooklineMetrics.name);
  readonly registry = new Registry();
  private unhandled?: Subscription;
  private activeSubscriptions?: { value: number; readAt: number };
  private lastDispatchCounts?: { value: Promise<DispatchCounts | null>; readAt: number };

  private readonly eventsPublished = new Counter({
    name: 'hookline_webhook_events_published_total',
    help: 'Webhook events stored, by webhook name.',
    labelNames: ['webhook'],
    registers: [this.registry],
  });
  private readonly deliveriesCreated = new Counter({
    name: 'hookline_deliveries_created_total',
    help: 'Deliveries created (one per event and matching subscription).',
    registers: [this.registry],
  });
  private readonly attempts = new Counter({
    name: 'hookline_delivery_attempts_total',
    help: 'Delivery attempts sent and recorded, by result (success, failure) and status class (2xx..5xx, or error when no answer came).',
    labelNames: ['result', 'status_class'],
    registers: [this.registry],
  });
  private readonly deliveriesSettled = new Counter({
    name: 'hookline_deliveries_total',
    help: 'Deliveries that reached a final state in this process, by state (succeeded, failed, abandoned).',
    labelNames: ['state'],
    registers: [this.registry],
  });
  private readonly deactivations = new Counter({
    name: 'hookline_subscriptions_deactivated_total',
    help: 'Subscriptions deactivated automatically, by reason (gone: 410; consecutive_failures).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly attemptDuration = new Histogram({
    name: 'hookline_delivery_attempt_duration_seconds',
    help: 'Duration of one delivery attempt (the HTTP exchange with the receiver), by result.',
    labelNames: ['result'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly firstAttemptDelay = new Histogram({
    name: 'hookline_delivery_first_attempt_delay_seconds',
    help: 'Delay from publishing an event to the first attempt of each of its deliveries.',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  private readonly retentionPasses = new Counter({
    name: 'hookline_history_retention_passes_total',
    help: 'Retention passes over the delivery history run by this process, by outcome (completed, skipped: another process ran one, failed).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly retentionPartitions = new Counter({
    name: 'hookline_history_retention_partitions_total',
    help: "Days of delivery history met by retention passes, by outcome (dropped; kept_pending: a delivery in it is pending; kept_busy: its tables stayed locked; responses_erased: past the response retention, its attempts' response bodies and headers erased).",
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly unhandledErrors = new Counter({
    name: 'hookline_cqrs_unhandled_errors_total',
    help: 'Errors thrown by CQRS event handlers, which the bus reports to no caller, by event type.',
    labelNames: ['event'],
    registers: [this.registry],
  });

  constructor(
    private readonly dispatch: DeliveryDispatch,
    private readonly subscriptions: WebhookSubscriptionStore,
    private readonly unhandledExceptions: UnhandledExceptionBus,
  ) {
    collectDefaultMetrics({ register: this.registry });
    const metrics = this;
    const dispatchGauge = (name: string, help: string, values: (counts: DispatchCounts) => Record<string, number>) =>
      new Gauge({
        name,
        help,
        labelNames: ['state'],
        registers: [this.registry],
        async collect() {
          const counts = await metrics.dispatchCounts();
          this.reset();
          if (counts) for (const [state, value] of Object.entries(values(counts))) this.set({ state }, value);
        },
      });
    dispatchGauge(
      'hookline_dispatch_deliveries',
      'Deliveries the scheduler holds, all endpoints together, by state: waiting (due; held back by a cap, rate limit, pause or open breaker, or waiting their turn), in_flight, retry_scheduled.',
      (c) => ({ waiting: c.waiting, in_flight: c.inFlight, retry_scheduled: c.retriesScheduled }),
    );
    dispatchGauge(
      'hookline_dispatch_endpoints',
      'Endpoints (subscriptions) the scheduler holds back, by state: breaker_open, breaker_half_open, paused (Retry-After), at_capacity.',
      ({ endpoints: e }) => ({
        breaker_open: e.breakerOpen,
        breaker_half_open: e.breakerHalfOpen,
        paused: e.paused,
        at_capacity: e.atCapacity,
      }),
    );
    new Gauge({
      name: 'hookline_subscriptions_active',
      help: `Active subscriptions, all tenants together (cached ${ACTIVE_SUBSCRIPTIONS_CACHE_MS / 1000} s).`,
      registers: [this.registry],
      async collect() {
        const count = await metrics.activeSubscriptionCount();
        this.reset();
        if (count !== null) this.set(count);
      },
    });
  }

  onModuleInit(): void {
    this.unhandled = this.unhandledExceptions.subscribe(({ cause }) =>
      this.unhandledErrors.inc({ event: (cause as object | undefined)?.constructor?.name ?? 'unknown' }),
    );
  }

  onModuleDestroy(): void {
    this.unhandled?.unsubscribe();
  }

  eventPublished({ webhookName, deliveryCount }: EventPublishedObservation): void {
    this.eventsPublished.inc({ webhook: webhookName });
    this.deliveriesCreated.inc(deliveryCount);
  }

  attemptRecorded(o: AttemptRecordedObservation): void {
    const result = o.succeeded ? 'success' : 'failure';
    this.attempts.inc({ result, status_class: statusClass(o.statusCode) });
    this.attemptDuration.observe({ result }, o.durationMs / 1000);
    if (o.attempt === 1) this.firstAttemptDelay.observe(Math.max(0, o.sentAt.getTime() - o.eventCreationTime.getTime()) / 1000);
    if (o.deliveryState !== 'pending') this.deliveriesSettled.inc({ state: o.deliveryState });
  }

  deliveryAbandoned(_: DeliveryAbandonedObservation): void {
    this.deliveriesSettled.inc({ state: 'abandoned' });
  }

  subscriptionDeactivated({ reasonKind }: SubscriptionDeactivatedObservation): void {
    this.deactivations.inc({ reason: reasonKind });
  }

  historyRetentionPass(o: HistoryRetentionPassObservation): void {
    this.retentionPasses.inc({ outcome: o.outcome });
    this.retentionPartitions.inc({ outcome: 'dropped' }, o.droppedPartitions);
    this.retentionPartitions.inc({ outcome: 'kept_pending' }, o.keptPendingPartitions);
    this.retentionPartitions.inc({ outcome: 'kept_busy' }, o.keptBusyPartitions);
    this.retentionPartitions.inc({ outcome: 'responses_erased' }, o.responsesErasedPartitions);
  }

  /** The scheduler's figures (read once for all gauges of a scrape); null when Redis does not answer in time. */
  dispatchCounts(): Promise<DispatchCounts | null> {
    const cached = this.lastDispatchCounts;
    if (cached && Date.now() - cached.readAt < DISPATCH_COUNTS_CACHE_MS) return cached.value;
    const value = this.withTimeout(this.dispatch.counts(), 'the scheduler figures');
    this.lastDispatchCounts = { value, readAt: Date.now() };
    return value;
  }

  private async activeSubscriptionCount(): Promise<number | null> {
    const cached = this.activeSubscriptions;
    if (cached && Date.now() - cached.readAt < ACTIVE_SUBSCRIPTIONS_CACHE_MS) return cached.value;
    const value = await this.withTimeout(this.subscriptions.countActive(), 'active subscriptions');
    if (value !== null) this.activeSubscriptions = { value, readAt: Date.now() };
    return value;
  }

  private async withTimeout<T>(work: Promise<T>, what: string): Promise<T | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), GAUGE_READ_TIMEOUT_MS)));
    try {
      return await Promise.race([work, timeout]);
    } catch (e) {
      this.logger.debug(`Could not read ${what} for /metrics: ${(e as Error).message}`);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** 200 → `2xx`; no answer at all → `error`. */
export function statusClass(statusCode: number | null): string {
  return statusCode === null ? 'error' : `${Math.floor(statusCode / 100)}xx`;
}
