import { Injectable } from '@nestjs/common';
import { WebhookSubscriptionAppService } from './webhook-subscription.app-service';
import { WebhookStats, WebhookStatsBucket, WebhookStatsStore } from '../domain/ports/webhook-stats.store';

export interface WebhookStatsReport extends WebhookStats {
  hours: number;
  since: Date;
}

/** Attempts over a window, bucket by bucket (every bucket present, empty ones with zero attempts). */
export interface WebhookStatsTimeline {
  hours: number;
  since: Date;
  bucketSeconds: number;
  buckets: WebhookStatsBucket[];
}

/** Hourly buckets up to two days, then six-hourly (a week: 28 points). */
const bucketSecondsFor = (hours: number) => (hours <= 48 ? 3600 : 6 * 3600);

/** Stats, computed in SQL: a tenant's, a subscription's and its timeline, and the host's view of its tenants. */
@Injectable()
export class WebhookStatsAppService {
  constructor(
    private readonly stats: WebhookStatsStore,
    private readonly subscriptions: WebhookSubscriptionAppService,
  ) {}

  async tenantStats(tenantId: string | null, hours: number): Promise<WebhookStatsReport> {
    const since = hoursAgo(hours);
    return { hours, since, ...(await this.stats.stats({ tenantId, since })) };
  }

  async subscriptionStats(tenantId: string | null, id: string, hours: number): Promise<WebhookStatsReport> {
    await this.subscriptions.get(tenantId, id);
    const since = hoursAgo(hours);
    return { hours, since, ...(await this.stats.stats({ tenantId, subscriptionId: id, since })) };
  }

  /** The host's view of its tenants: subscriptions, and traffic over the last `hours`. */
  tenants(hours: number, skipCount: number, maxResultCount: number) {
    return this.stats.tenants(hoursAgo(hours), skipCount, maxResultCount);
  }

  /** The subscription's attempts over the last `hours`: count, successes and latency percentiles per bucket. */
  async subscriptionTimeline(tenantId: string | null, id: string, hours: number): Promise<WebhookStatsTimeline> {
    await this.subscriptions.get(tenantId, id);
    const bucketSeconds = bucketSecondsFor(hours);
    // Buckets start on a whole bucket so that consecutive calls line up.
    const since = new Date(Math.floor(hoursAgo(hours).getTime() / (bucketSeconds * 1000)) * bucketSeconds * 1000);
    const found = await this.stats.timeline({ tenantId, subscriptionId: id, since }, bucketSeconds);
    const byStart = new Map(found.map((b) => [new Date(b.start).getTime(), b]));
    const buckets: WebhookStatsBucket[] = [];
    for (let t = since.getTime(); t <= Date.now(); t += bucketSeconds * 1000) {
      buckets.push(
        byStart.get(t) ?? { start: new Date(t), attempts: 0, succeeded: 0, p50ResponseTimeMs: null, p95ResponseTimeMs: null },
      );
    }
    return { hours, since, bucketSeconds, buckets };
  }
}

const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3600_000);
