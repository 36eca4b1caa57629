import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { WEBHOOKS_OPTIONS, WebhooksOptions } from '@hookline/webhooks-core';
import { ClaimedDelivery, DeliveryDispatch, DispatchLane } from '../domain/delivery-dispatch';
import { DeliverySweeper } from './delivery-sweeper';
import { WebhookDeliveryService } from './webhook-delivery.service';

export const WEBHOOKS_WORKER_ENABLED = Symbol('WEBHOOKS_WORKER_ENABLED');

/** How long an idle worker waits before asking the scheduler again (for work another process handed over). */
const IDLE_POLL_MS = 20;
/** How long it waits after the scheduler could not be reached. */
const UNREACHABLE_BACKOFF_MS = 1_000;

/** The send places of one worker: first attempts and retries each have their own share. */
export function lanePlaces(workerConcurrency: number, retrySharePercent: number): Record<DispatchLane, number> {
  const retry = Math.max(1, Math.floor((workerConcurrency * retrySharePercent) / 100));
  return { first: Math.max(1, workerConcurrency - retry), retry };
}

/**
 * The worker role: claims deliveries from the scheduler as its send places free up and sends each, keeping the
 * claims' leases alive meanwhile; moves due retries into their lanes; runs the sweeper. An API-only process
 * hands deliveries to the scheduler but never sends. On shutdown it stops claiming and lets the sends in flight
 * finish, for at most `shutdownGraceMs`, before the connections are closed.
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookWorker.name);
  private readonly places: Record<DispatchLane, number>;
  private readonly inFlight = new Set<ClaimedDelivery>();
  private readonly inFlightByLane: Record<DispatchLane, number> = { first: 0, retry: 0 };
  private sweepTimer?: NodeJS.Timeout;
  private renewTimer?: NodeJS.Timeout;
  private stopping = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private idleWaiters: (() => void)[] = [];

  constructor(
    @Inject(WEBHOOKS_WORKER_ENABLED) private readonly enabled: boolean,
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
    private readonly dispatch: DeliveryDispatch,
    private readonly deliveries: WebhookDeliveryService,
    private readonly sweeper: DeliverySweeper,
  ) {
    this.places = lanePlaces(options.workerConcurrency, options.retrySharePercent);
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.dispatch.startRetryTimers();
    this.dispatch.onSubmitted(() => this.wake?.());
    this.loop = this.claimLoop();
    this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(100, this.options.jobLockDurationMs / 3));
    this.renewTimer.unref();
    this.sweepTimer = setInterval(() => void this.sweepSafely(), this.options.sweepIntervalMs);
    this.sweepTimer.unref();
    void this.sweepSafely();
    this.logger.log(`Worker sending with ${this.places.first} places for first attempts and ${this.places.retry} for retries`);
  }

  /** Claims as many deliveries as there are free places, sends each, and asks again when a place frees up. */
  private async claimLoop(): Promise<void> {
    while (!this.stopping) {
      const want = {
        first: this.places.first - this.inFlightByLane.first,
        retry: this.places.retry - this.inFlightByLane.retry,
      };
      let claims: ClaimedDelivery[] = [];
      if (want.first > 0 || want.retry > 0) {
        try {
          claims = await this.dispatch.claim(want);
        } catch (e) {
          this.logger.warn(`Could not claim deliveries (${(e as Error).message}); trying again`);
          await this.pause(UNREACHABLE_BACKOFF_MS);
          continue;
        }
      }
      claims.forEach((claim) => this.send(claim));
      if (claims.length === 0) await this.pause(IDLE_POLL_MS);
    }
  }

  private send(claim: ClaimedDelivery): void {
    this.inFlight.add(claim);
    this.inFlightByLane[claim.lane]++;
    this.deliveries
      .runClaimed(claim)
      .catch((e: unknown) => {
        // Nothing was reported: the lease expires and the delivery is handed out again.
        this.logger.warn({ msg: 'delivery run failed; retried', deliveryId: claim.deliveryId, error: (e as Error).message });
      })
      .finally(() => {
        this.inFlight.delete(claim);
        this.inFlightByLane[claim.lane]--;
        this.wake?.();
        if (this.inFlight.size === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
      });
  }

  /** Waits `ms`, or less when a send ends (a place is free) or this process hands deliveries over. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.wake === done) self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }

  private async renewLeases(): Promise<void> {
    try {
      await this.dispatch.renew([...this.inFlight]);
    } catch (e) {
      this.logger.warn(`Could not renew ${this.inFlight.size} leases (${(e as Error).message})`);
    }
  }

  /** Runs before any connection is closed (Bull closes its queue, TypeORM its pool, on application shutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    if (!this.enabled) return;
    this.stopping = true;
    this.wake?.();
    const grace = this.options.shutdownGraceMs;
    this.logger.log(`Stopping: no new claims; waiting up to ${grace} ms for the ${this.inFlight.size} sends in flight`);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), grace)));
    await Promise.all([this.loop, this.dispatch.stopRetryTimers(grace)]);
    const finished = await Promise.race([this.idle(), graceOver]);
    clearTimeout(timer);
    clearInterval(this.renewTimer);
    if (finished) return this.logger.log('Stopped: every send in flight finished');
    this.logger.warn(
      `Stopping with ${this.inFlight.size} sends still in flight after ${grace} ms; their deliveries stay pending and are sent again once their leases expire`,
    );
  }

  /** Resolves (true) once no delivery is being sent by this process. */
  private idle(): Promise<true> {
    if (this.inFlight.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => this.idleWaiters.push(() => resolve(true)));
  }

  private async sweepSafely(): Promise<void> {
    try {
      await this.sweeper.sweep();
    } catch (e) {
      this.logger.error(`Sweep failed: ${(e as Error).message}`);
    }
  }
}
