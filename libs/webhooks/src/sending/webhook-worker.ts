import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { WEBHOOKS_OPTIONS, WebhooksOptions } from '@hookline/webhooks-core';
import { ClaimedDelivery, DeliveryDispatch, DispatchLane } from '../domain/ports/delivery-dispatch';
import { DeliverySweeper } from './delivery-sweeper';
import { AwaitingAnswer, WebhookDeliveryService } from './webhook-delivery.service';
import { WEBHOOK_SENDER_JOB } from './webhook-sender.job';

export const WEBHOOKS_WORKER_ENABLED = Symbol('WEBHOOKS_WORKER_ENABLED');

/** How long it waits after the scheduler could not be reached. */
const UNREACHABLE_BACKOFF_MS = 1_000;
/**
 * A claim put on Bull and not taken up here within this time is taken to run in another worker process (which
 * counts it as its own work then). A job is taken up within milliseconds, since every job waiting has a free
 * processor; a longer time would keep other processes' work counted here too and shrink this one's room.
 */
const TAKEN_ELSEWHERE_MS = 50;

/** The send places of one worker: first attempts and retries each have their own share. */
export function lanePlaces(workerConcurrency: number, retrySharePercent: number): Record<DispatchLane, number> {
  const retry = Math.max(1, Math.floor((workerConcurrency * retrySharePercent) / 100));
  return { first: Math.max(1, workerConcurrency - retry), retry };
}

/**
 * The worker role. Its dispatcher claims deliveries from the scheduler as this process's send places free up
 * and hands each round out as one WebhookSenderJob, so Bull's wait list holds only deliveries already chosen
 * fairly and never more than the places free; the WebhookSenderProcessor runs the jobs through `sendAll`, which
 * keeps the claims' leases alive while they are sent. It claims only while fewer than `workerProcessingLimit` of
 * its claims are being prepared (taken up, read, signed) and not yet sent: places are sized for slow receivers,
 * and a backlog filling them all with fast ones would queue every delivery's way out behind its own work. It
 * also runs the sweeper. An API-only process hands deliveries to the scheduler but never sends. On shutdown it
 * stops claiming and taking jobs and lets the sends in flight finish, for at most `shutdownGraceMs`, before the
 * connections are closed.
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookWorker.name);
  private readonly places: Record<DispatchLane, number>;
  private readonly inFlight = new Set<ClaimedDelivery>();
  /** Claims put on Bull and not taken up yet, by lease: when each was claimed. */
  private readonly unstarted = new Map<string, number>();
  /** Claims this process is preparing (taken up, read, signed) and has not sent to their receivers yet. */
  private preparing = 0;
  /** Claims whose receiver answered and whose attempt this process is recording. */
  private recording = 0;
  private sweepTimer?: NodeJS.Timeout;
  private renewTimer?: NodeJS.Timeout;
  private stopping = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private nudged = false;
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
    this.dispatch.onSubmitted(() => this.nudge());
    this.loop = this.claimLoop();
    this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(100, this.options.jobLockDurationMs / 3));
    this.renewTimer.unref();
    this.sweepTimer = setInterval(() => void this.sweepSafely(), this.options.sweepIntervalMs);
    this.sweepTimer.unref();
    void this.sweepSafely();
    this.logger.log(
      `Worker sending with ${this.places.first} places for first attempts and ${this.places.retry} for retries, as Bull ${WEBHOOK_SENDER_JOB}s`,
    );
  }

  /**
   * Claims deliveries for this process's free places (the scheduler counts its claims not over, wherever they
   * are sent) and its room to prepare them, and puts them on Bull together as one job; asks again when a send
   * ends or room frees up, when any process hands deliveries over, and every `workerPollMs`.
   */
  private async claimLoop(): Promise<void> {
    while (!this.stopping) {
      let claims: ClaimedDelivery[];
      const room = this.roomToClaim();
      if (room === 0) {
        await this.pause(this.options.workerPollMs);
        continue;
      }
      try {
        claims = await this.dispatch.claim(this.places, room);
        const now = Date.now();
        for (const claim of claims) this.unstarted.set(claim.lease, now);
        await this.dispatch.handOut(claims);
      } catch (e) {
        this.logger.warn(`Could not claim deliveries (${(e as Error).message}); trying again`);
        await this.pause(UNREACHABLE_BACKOFF_MS);
        continue;
      }
      // Until a place or room frees up here or deliveries are handed over: the claim took what there was.
      await this.pause(this.options.workerPollMs);
    }
  }

  /**
   * Sends a WebhookSenderJob's claimed deliveries side by side; rejects, once all are over, when one run hit an
   * infrastructure failure (that claim's lease then expires and its delivery is handed out again).
   */
  async sendAll(claims: readonly ClaimedDelivery[]): Promise<void> {
    const runs = await Promise.allSettled(claims.map((claim) => this.send(claim)));
    const failed = runs.find((run): run is PromiseRejectedResult => run.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Sends a claimed delivery, keeping its lease alive meanwhile. A claim whose lease expired before it was taken
   * up (its process died, or Bull held it longer than a lease) is skipped: the delivery was handed out again.
   * Rejects on an infrastructure failure, reporting nothing: the lease then expires and the delivery is handed
   * out again.
   */
  private async send(claim: ClaimedDelivery): Promise<void> {
    this.inFlight.add(claim);
    this.unstarted.delete(claim.lease);
    this.preparing++;
    let sent = false;
    let answered = false;
    const goOut: AwaitingAnswer = async (post) => {
      sent = true;
      this.donePreparing();
      const answer = await post();
      answered = true;
      this.recording++;
      return answer;
    };
    try {
      if (await this.dispatch.begin(claim)) await this.deliveries.runClaimed(claim, goOut);
    } catch (e) {
      this.logger.warn({ msg: 'delivery run failed; retried', deliveryId: claim.deliveryId, error: (e as Error).message });
      throw e;
    } finally {
      if (!sent) this.donePreparing();
      if (answered) this.recording--;
      this.inFlight.delete(claim);
      this.nudge();
      if (this.inFlight.size === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
    }
  }

  /**
   * A claim leaves its room once it goes out to its receiver (or is skipped): the wait for the answer, and the
   * recording after it, delay no other delivery's arrival, and a hanging receiver holds no room.
   */
  private donePreparing(): void {
    const waitingForRoom = this.roomToClaim() === 0;
    this.preparing--;
    if (waitingForRoom && this.roomToClaim() > 0) this.nudge();
  }

  /**
   * How many more deliveries this process may claim now, or 0. While some are being prepared, room freed one by
   * one is gathered into a round worth a job of its own.
   */
  private roomToClaim(): number {
    // An answered claim gives its place back before its attempt is recorded; as many again being recorded is
    // the most this process holds in memory when PostgreSQL records slower than receivers answer.
    if (this.recording >= this.options.workerConcurrency) return 0;
    const room = this.options.workerProcessingLimit - this.preparing - this.unstartedCount();
    return room <= 0 || (this.preparing > 0 && room < this.options.workerProcessingLimit / 4) ? 0 : room;
  }

  /** Claims put on Bull from here and not taken up yet, forgetting those another worker process took up. */
  private unstartedCount(): number {
    const before = Date.now() - TAKEN_ELSEWHERE_MS;
    for (const [lease, claimedAt] of this.unstarted) {
      if (claimedAt >= before) break;
      this.unstarted.delete(lease);
    }
    return this.unstarted.size;
  }

  /** Ends the dispatcher's pause, or the next one at once when it is not pausing now (it is claiming). */
  private nudge(): void {
    if (this.wake) this.wake();
    else this.nudged = true;
  }

  /** Waits `ms`, or less when a send ends (a place is free) or this process hands deliveries over. */
  private pause(ms: number): Promise<void> {
    if (this.nudged) {
      this.nudged = false;
      return Promise.resolve();
    }
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
    this.nudge();
    const grace = this.options.shutdownGraceMs;
    this.logger.log(`Stopping: no new claims; waiting up to ${grace} ms for the ${this.inFlight.size} sends in flight`);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), grace)));
    await Promise.race([Promise.all([this.loop, this.dispatch.stopTakingClaims()]), graceOver]);
    const finished = await Promise.race([this.idle(), graceOver]);
    clearTimeout(timer);
    clearInterval(this.renewTimer);
    if (finished) this.logger.log('Stopped: every send in flight finished');
    else {
      this.logger.warn(
        `Stopping with ${this.inFlight.size} sends still in flight after ${grace} ms; their deliveries stay pending and are sent again once their leases expire`,
      );
    }
    await this.dispatch.closeSenders();
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
