import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { WebhookObservers } from '@hookline/webhooks';
import { WebhookHistoryPartitionStore } from '../domain/ports/webhook-history-partition.store';
import { BackgroundRun } from './background-run';

export interface WebhookHistoryOptions {
  /** Days the history is kept: a day's events, deliveries and attempts are dropped this long after it ends. */
  retentionDays: number;
  /**
   * Days the attempts' response bodies and headers are kept, when shorter: a day's are erased (once) this long
   * after it ends. Null: as long as the rest.
   */
  responseRetentionDays?: number | null;
  /** Run the retention passes in this process (the worker role); every process creates partitions ahead. */
  runRetention: boolean;
}

export const WEBHOOK_HISTORY_OPTIONS = Symbol('WEBHOOK_HISTORY_OPTIONS');
export const DEFAULT_RETENTION_DAYS = 30;

const DAY_MS = 86_400_000;
/** Days of partitions kept ready ahead of today. */
const PARTITION_DAYS_AHEAD = 7;
/** How often partitions are made ahead and a retention pass runs: well within a day, so none is missed. */
const HISTORY_MAINTENANCE_MS = 3_600_000;

/**
 * Keeps the delivery history's time partitions: creates them ahead of time (at start-up, before the process
 * serves, and every hour), and in the worker role drops those past retention, a whole day at a time, keeping
 * any day that still holds a pending delivery.
 */
@Injectable()
export class WebhookHistoryAppService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookHistoryAppService.name);
  private timer?: NodeJS.Timeout;
  private readonly maintenance = new BackgroundRun(this.logger, 'History maintenance failed; it runs again within the hour');

  constructor(
    private readonly store: WebhookHistoryPartitionStore,
    private readonly observers: WebhookObservers,
    @Inject(WEBHOOK_HISTORY_OPTIONS) private readonly options: WebhookHistoryOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Before the process serves; should it fail, the days made ahead by earlier runs (or the migration) hold
    // the inserts until the next run.
    await this.createPartitionsAhead(new Date()).catch((e) =>
      this.logger.error(`Creating history partitions ahead failed; it runs again within the hour: ${(e as Error).message}`),
    );
    if (this.options.runRetention) this.maintenance.start(() => this.retentionPass(new Date()));
    this.timer = setInterval(
      () =>
        this.maintenance.start(async () => {
          await this.createPartitionsAhead(new Date());
          if (this.options.runRetention) await this.retentionPass(new Date());
        }),
      HISTORY_MAINTENANCE_MS,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.maintenance.ended();
  }

  /** Creates the partitions up to PARTITION_DAYS_AHEAD days after `now`'s day. */
  async createPartitionsAhead(now: Date): Promise<string[]> {
    const created = await this.store.createPartitionsUntil(now, new Date(now.getTime() + PARTITION_DAYS_AHEAD * DAY_MS));
    if (created.length) this.logger.log(`Created history partitions ${created.join(', ')}`);
    return created;
  }

  /**
   * Drops the history whose day ended more than the retention before `now`, and erases the response bodies and
   * headers of the days past the response retention; logged and observed.
   */
  async retentionPass(now: Date): Promise<void> {
    const started = Date.now();
    const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const cutoff = before(this.options.retentionDays);
    const responseDays = this.options.responseRetentionDays;
    const observe = (outcome: 'completed' | 'skipped' | 'failed', dropped = 0, pending = 0, busy = 0, responses = 0) =>
      this.observers.notify('historyRetentionPass', {
        outcome,
        droppedPartitions: dropped,
        keptPendingPartitions: pending,
        keptBusyPartitions: busy,
        responsesErasedPartitions: responses,
        durationMs: Date.now() - started,
      });
    let retained;
    try {
      retained = await this.store.applyRetention(cutoff, responseDays ? before(responseDays) : null);
    } catch (e) {
      this.logger.error(`History retention pass failed; it runs again within the hour: ${(e as Error).message}`);
      observe('failed');
      return;
    }
    if (!retained) {
      this.logger.debug('History retention pass skipped: another process is running one');
      observe('skipped');
      return;
    }
    const { expired: results, responsesErased } = retained;
    for (const r of responsesErased) {
      this.logger.log(`Erased the response bodies and headers of ${r.attempts} attempts in history partitions ${r.suffix}`);
    }
    const count = (outcome: string) => results.filter((r) => r.outcome === outcome).length;
    for (const r of results.filter((r) => r.outcome === 'kept_pending')) {
      this.logger.warn(
        `History partitions ${r.suffix} (until ${r.until.toISOString()}) are past retention but kept: ` +
          `${r.pendingDeliveries} deliveries in them are still pending`,
      );
    }
    const dropped = results.filter((r) => r.outcome === 'dropped').map((r) => r.suffix);
    this.logger.log(
      `History retention pass (before ${cutoff.toISOString()}): dropped ${dropped.length} day(s)` +
        `${dropped.length ? ` [${dropped.join(', ')}]` : ''}, ` +
        `kept ${count('kept_pending')} with pending deliveries, ${count('kept_busy')} busy`,
    );
    observe('completed', dropped.length, count('kept_pending'), count('kept_busy'), responsesErased.length);
  }
}
