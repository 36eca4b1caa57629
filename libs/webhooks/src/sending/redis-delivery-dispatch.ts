import { randomUUID } from 'node:crypto';
import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bull';
import type { Redis } from 'ioredis';
import { MicroBatcher, WEBHOOKS_OPTIONS, WebhooksOptions } from '@hookline/webhooks-core';
import type { BreakerState } from '../domain/delivery-lifecycle';
import {
  BreakerMove,
  ClaimedDelivery,
  DeliveryDispatch,
  DispatchCounts,
  DispatchItem,
  DispatchLane,
  EndpointAfterSend,
  EndpointDispatchStatus,
  EndpointLimits,
  SendReport,
} from '../domain/ports/delivery-dispatch';
import {
  CLAIM_SCRIPT,
  END_SCRIPT,
  RENEW_SCRIPT,
  RELEASE_SCRIPT,
  REPORT_SCRIPT,
  RESUME_SCRIPT,
  SUBMIT_SCRIPT,
  WITHDRAW_SCRIPT,
} from './dispatch-scripts';
import {
  WEBHOOKS_QUEUE,
  WEBHOOK_RETRY_JOB,
  type WebhookRetryJobData,
  type WebhookSenderJobData,
  webhookSenderJob,
} from './webhook-sender.job';

const LANE_CODES: Record<DispatchLane, string> = { first: 'f', retry: 'r' };
const LANES_BY_CODE: Record<string, DispatchLane> = { f: 'first', r: 'retry' };
const REDIS_TIMEOUT_MS = 5_000;
const LOST_CONNECTION_STATES = new Set(['reconnecting', 'close', 'end']);
/** Bound on one claim's walk over the rings, so a script never runs long. */
const MAX_CLAIM_STEPS = 1_000;
/** Bull's safety cap on moving a retry into its lane; each run is one short Redis script. */
const MAX_RETRY_JOB_RUNS = 1000;

type ScriptClient = Redis & Record<string, (...args: (string | number)[]) => Promise<unknown>>;

const tenantKey = (tenantId: string | null): string => tenantId ?? '';
const tenantOf = (key: string): string | null => (key === '' ? null : key);

/**
 * The Bull/Redis adapter of the DeliveryDispatch port. The fair scheduler (lanes, turns, leases, caps, rate
 * limits, pauses and breaker state) is a set of Lua scripts over plain Redis keys (see dispatch-scripts.ts);
 * Bull holds the retries waiting for their time, as delayed jobs whose id is the delivery id, and the claims
 * handed out, as WebhookSenderJobs (one per claim round). All keys share the queue's prefix, so a hash-tagged prefix
 * (`{hookline}`) keeps them in one Redis Cluster slot, as Bull needs.
 */
@Injectable()
export class RedisDeliveryDispatch extends DeliveryDispatch implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisDeliveryDispatch.name);
  private readonly base: string;
  private readonly trackedKey: string;
  private readonly submitted: (() => void)[] = [];
  /** Listens to the `submitted` channel, once a worker in this process wants to know. */
  private subscriber?: Redis;
  private readonly reports = new MicroBatcher<SendReport, EndpointAfterSend>((reports) => this.reportTogether(reports), 200, 1);
  private readonly begins = new MicroBatcher<ClaimedDelivery, boolean>(
    async (claims) => (await this.leaseScript('begin', claims)).map((answer) => answer === 1),
    200,
    1,
  );
  private readonly ends = new MicroBatcher<ClaimedDelivery, void>(
    async (claims) => {
      await this.script('hooklineEnd', claimArgs(claims));
      return claims.map(() => undefined);
    },
    200,
    1,
  );
  /** This process, as the scheduler counts its claims against its places. */
  private readonly processId = randomUUID();

  constructor(
    @InjectQueue(WEBHOOKS_QUEUE) private readonly queue: Queue<WebhookRetryJobData | WebhookSenderJobData>,
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
  ) {
    super();
    this.base = queue.toKey('dispatch:');
    this.trackedKey = `${this.base}tracked`;
    const scripts = {
      hooklineSubmit: SUBMIT_SCRIPT,
      hooklineClaim: CLAIM_SCRIPT,
      hooklineRenew: RENEW_SCRIPT,
      hooklineReport: REPORT_SCRIPT,
      hooklineRelease: RELEASE_SCRIPT,
      hooklineEnd: END_SCRIPT,
      hooklineWithdraw: WITHDRAW_SCRIPT,
      hooklineResume: RESUME_SCRIPT,
    };
    for (const [name, lua] of Object.entries(scripts)) {
      if (!(name in this.redis)) this.redis.defineCommand(name, { numberOfKeys: 1, lua });
    }
  }

  private get redis(): ScriptClient {
    return this.queue.client as unknown as ScriptClient;
  }

  private script<T>(name: string, args: (string | number)[]): Promise<T> {
    return this.redis[name](this.trackedKey, this.base, ...args) as Promise<T>;
  }

  async submit(items: readonly DispatchItem[], lane: DispatchLane): Promise<boolean> {
    if (items.length === 0) return true;
    try {
      const args = items.flatMap((i) => [i.deliveryId, i.subscriptionId, tenantKey(i.tenantId)]);
      await this.askRedis(() => this.script('hooklineSubmit', [LANE_CODES[lane], ...args]));
      this.submitted.forEach((listener) => listener());
      return true;
    } catch (e) {
      this.logger.warn(
        `Could not hand ${items.length} deliveries to the scheduler (${(e as Error).message}); they stay pending and the sweeper will`,
      );
      return false;
    }
  }

  async handOut(claims: readonly ClaimedDelivery[]): Promise<void> {
    if (claims.length === 0) return;
    const { name, data, opts } = webhookSenderJob(claims);
    await this.queue.add(name, data, opts);
  }

  async stopTakingClaims(): Promise<void> {
    // A local pause: this process takes no more jobs. Bull's own wait for the running ones has no bound (and
    // leaks a rejection when cut short), so the worker counts them instead.
    await this.queue.pause(true, true).catch(() => undefined);
  }

  async closeSenders(): Promise<void> {
    // Closed without waiting for jobs, the queue's own close at application shutdown returns at once: that one
    // waits for its processors' jobs, and leaks a rejection when Redis is away meanwhile.
    await this.queue.close(true).catch(() => undefined);
  }

  async retryLater(item: DispatchItem, delayMs: number): Promise<boolean> {
    try {
      await this.askRedis(() =>
        this.queue.add(WEBHOOK_RETRY_JOB, item, {
          jobId: item.deliveryId,
          delay: delayMs,
          attempts: MAX_RETRY_JOB_RUNS,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: true,
          removeOnFail: true,
        }),
      );
      return true;
    } catch (e) {
      this.logger.warn(`Could not schedule the retry of ${item.deliveryId} (${(e as Error).message}); the sweeper will`);
      return false;
    }
  }

  async claim(places: Record<DispatchLane, number>, most: number): Promise<ClaimedDelivery[]> {
    const first = Math.max(0, places.first);
    const retry = Math.max(0, places.retry);
    const reserve = first + retry === 0 ? 0 : Math.ceil((most * retry) / (first + retry));
    const now = Date.now();
    const flat = await this.script<string[]>('hooklineClaim', [
      now,
      this.options.jobLockDurationMs,
      first,
      retry,
      this.options.endpointConcurrency,
      MAX_CLAIM_STEPS,
      this.processId,
      Math.max(0, most),
      Math.min(Math.max(0, most), reserve),
    ]);
    const claims: ClaimedDelivery[] = [];
    for (let i = 0; i < flat.length; i += 5) {
      claims.push({
        lane: LANES_BY_CODE[flat[i]],
        deliveryId: flat[i + 1],
        subscriptionId: flat[i + 2],
        tenantId: tenantOf(flat[i + 3]),
        lease: flat[i + 4],
        leaseUntil: now + this.options.jobLockDurationMs,
      });
    }
    return claims;
  }

  begin(claim: ClaimedDelivery): Promise<boolean> {
    // A claim with more than half its lease ahead is still current (the delivery was not handed out again), and
    // the worker renews it within a third of a lease: only an older one asks the scheduler, renewing it.
    if (claim.leaseUntil - Date.now() > this.options.jobLockDurationMs / 2) return Promise.resolve(true);
    return this.begins.load(claim);
  }

  async renew(claims: readonly ClaimedDelivery[]): Promise<void> {
    if (claims.length > 0) await this.leaseScript('renew', claims);
  }

  private leaseScript(mode: 'begin' | 'renew', claims: readonly ClaimedDelivery[]): Promise<number[]> {
    return this.script('hooklineRenew', [Date.now() + this.options.jobLockDurationMs, mode, ...claimArgs(claims)]);
  }

  end(claim: ClaimedDelivery): Promise<void> {
    return this.ends.load(claim);
  }

  report(report: SendReport): Promise<EndpointAfterSend> {
    return this.reports.load(report);
  }

  private async reportTogether(reports: SendReport[]): Promise<EndpointAfterSend[]> {
    const now = Date.now();
    const args = reports.flatMap(({ claim, limits, result, timedOut, pauseUntil }) => [
      ...claimFields(claim),
      result === 'failed' && timedOut ? 'timedout' : result,
      pauseUntil ?? '',
      limits.concurrency ?? '',
      limits.ratePerSecond ?? '',
    ]);
    const rows = await this.script<(0 | [string, string, string, number, number, number])[]>('hooklineReport', [
      now,
      this.options.breakerWindowMs,
      ...args,
    ]);
    return rows.map((row) => {
      if (row === 0) return { claimHeld: false };
      const [breaker, since, until, attempts, failures, timeoutsInRow] = row;
      return { claimHeld: true, breaker: breakerFrom(breaker, since, until), window: { attempts, failures, timeoutsInRow } };
    });
  }

  async release(claim: ClaimedDelivery, breaker: BreakerMove | null): Promise<void> {
    const move = breaker
      ? [
          breakerCode(breaker.from),
          breakerCode(breaker.next),
          breaker.next.kind === 'closed' ? '' : breaker.next.since,
          breaker.next.kind === 'open' ? breaker.next.until : '',
        ]
      : ['', '', '', ''];
    await this.script('hooklineRelease', [...claimFields(claim), ...move]);
  }

  async resume(subscriptionId: string, tenantId: string | null): Promise<void> {
    await this.askRedis(() => this.script('hooklineResume', [subscriptionId, tenantKey(tenantId)]));
  }

  async forget(subscriptionIds: readonly string[]): Promise<void> {
    await this.askRedis(async () => {
      const multi = this.redis.multi();
      multi.del(...subscriptionIds.flatMap((sub) => [`${this.base}ep:${sub}`, `${this.base}win:${sub}`]));
      multi.zrem(`${this.base}paused`, ...subscriptionIds);
      multi.hdel(`${this.base}breakers`, ...subscriptionIds);
      multi.srem(`${this.base}capped`, ...subscriptionIds);
      await multi.exec();
    });
  }

  async configure(subscriptionId: string, limits: EndpointLimits): Promise<void> {
    const key = `${this.base}ep:${subscriptionId}`;
    await this.askRedis(async () => {
      const multi = this.redis.multi();
      if (limits.concurrency === null) multi.hdel(key, 'cap');
      else multi.hset(key, 'cap', limits.concurrency);
      if (limits.ratePerSecond === null) multi.hdel(key, 'rate');
      else multi.hset(key, 'rate', limits.ratePerSecond);
      await multi.exec();
    });
  }

  async withdraw(item: DispatchItem): Promise<boolean> {
    // Without Redis no worker can take it either; the send goes ahead.
    if (this.redisLost()) return true;
    const job = await this.queue.getJob(item.deliveryId);
    if (job) {
      try {
        await job.remove();
      } catch {
        return false;
      }
    }
    return (await this.script<number>('hooklineWithdraw', [item.subscriptionId, item.deliveryId])) === 1;
  }

  async cancelRetries(deliveryIds: readonly string[]): Promise<void> {
    if (this.redisLost()) return;
    await Promise.all(
      deliveryIds.map(async (id) => {
        // Refused while the job is being moved into its lane: the scheduler holds the delivery once then.
        await (await this.queue.getJob(id))?.remove().catch(() => undefined);
      }),
    );
  }

  async untracked<D extends DispatchItem>(items: readonly D[]): Promise<D[] | null> {
    if (items.length === 0) return [];
    try {
      const ids = items.map((i) => i.deliveryId);
      const pipeline = this.redis.pipeline();
      pipeline.smismember(this.trackedKey, ...ids);
      ids.forEach((id) => pipeline.exists(this.queue.toKey(id)));
      const answers = (await this.askRedis(() => pipeline.exec())) ?? [];
      const tracked = answers[0]?.[1] as number[];
      return items.filter((_, i) => tracked[i] === 0 && answers[i + 1]?.[1] === 0);
    } catch (e) {
      this.logger.warn(`Could not ask the scheduler about ${items.length} deliveries (${(e as Error).message})`);
      return null;
    }
  }

  async endpointStatus(subscriptionId: string): Promise<EndpointDispatchStatus> {
    const ep = `${this.base}ep:${subscriptionId}`;
    const now = Date.now();
    const [[, fields], [, inFlight], [, first], [, retry], [, window]] = (await this.askRedis(() =>
      this.redis
        .multi()
        .hgetall(ep)
        .zcount(`${this.base}inflight:${subscriptionId}`, now, '+inf')
        .llen(`${this.base}f:q:${subscriptionId}`)
        .llen(`${this.base}r:q:${subscriptionId}`)
        .hgetall(`${this.base}win:${subscriptionId}`)
        .exec(),
    ))! as [unknown, any][];
    const f = fields as Record<string, string>;
    const { attempts, failures } = windowTotals(window as Record<string, string>, now, this.options.breakerWindowMs);
    const pausedUntil = Number(f.pausedUntil ?? 0);
    return {
      breaker: breakerFrom(f.breaker ?? '', f.breakerSince ?? '', f.breakerUntil ?? ''),
      recentFailureRate: attempts === 0 ? null : failures / attempts,
      recentAttempts: attempts,
      inFlight: inFlight as number,
      backlog: (first as number) + (retry as number),
      pausedUntil: pausedUntil > now ? new Date(pausedUntil) : null,
      concurrency: f.cap ? Number(f.cap) : this.options.endpointConcurrency,
      ratePerSecond: f.rate ? Number(f.rate) : null,
    };
  }

  async counts(): Promise<DispatchCounts> {
    const now = Date.now();
    const [[, tracked], [, leased], [, delayed], [, breakers], [, paused], [, capped]] = (await this.askRedis(() =>
      this.redis
        .multi()
        .scard(this.trackedKey)
        .zcard(`${this.base}leases`)
        .zcard(this.queue.toKey('delayed'))
        .hvals(`${this.base}breakers`)
        .zcount(`${this.base}paused`, now, '+inf')
        .scard(`${this.base}capped`)
        .exec(),
    ))! as [unknown, any][];
    const states = breakers as string[];
    return {
      waiting: Math.max(0, (tracked as number) - (leased as number)),
      inFlight: leased as number,
      retriesScheduled: delayed as number,
      endpoints: {
        breakerOpen: states.filter((s) => s === 'open').length,
        breakerHalfOpen: states.filter((s) => s === 'half').length,
        paused: paused as number,
        atCapacity: capped as number,
      },
    };
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.askRedis(() => this.queue.client.ping())) === 'PONG';
    } catch {
      return false;
    }
  }

  onSubmitted(listener: () => void): void {
    this.submitted.push(listener);
    if (this.subscriber) return;
    // Deliveries handed over by another process (an API process, another worker's retry) wake this one too.
    const subscriber = (this.subscriber = this.queue.client.duplicate());
    subscriber.on('message', () => this.submitted.forEach((wake) => wake()));
    // ioredis reconnects and subscribes again by itself; meanwhile the worker polls.
    subscriber.on('error', () => undefined);
    subscriber.subscribe(`${this.base}submitted`).catch((e: Error) => {
      this.logger.warn(`Could not listen for deliveries handed over (${e.message}); the worker polls`);
    });
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }

  /**
   * Runs a Redis command, failing at once when Redis was reachable and is not now (ioredis would hold the
   * command until it is back) and after REDIS_TIMEOUT_MS otherwise: publishers and the sweeper never wait on it.
   */
  private async askRedis<T>(command: () => Promise<T>): Promise<T> {
    if (this.redisLost()) throw new Error(`Redis is ${this.queue.client.status}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Redis within ${REDIS_TIMEOUT_MS} ms`)), REDIS_TIMEOUT_MS);
    });
    try {
      return await Promise.race([command(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private redisLost(): boolean {
    return LOST_CONNECTION_STATES.has(this.queue.client.status);
  }
}

/** A claim as every script names it: delivery, lease (the scheduler keeps the rest with the claim). */
const claimFields = (c: ClaimedDelivery): string[] => [c.deliveryId, c.lease];
const claimArgs = (claims: readonly ClaimedDelivery[]): string[] => claims.flatMap(claimFields);

const breakerCode = (state: BreakerState): string => (state.kind === 'half-open' ? 'half' : state.kind);

function breakerFrom(code: string, since: string, until: string): BreakerState {
  if (code === 'open') return { kind: 'open', since: Number(since), until: Number(until) };
  if (code === 'half') return { kind: 'half-open', since: Number(since) };
  return { kind: 'closed' };
}

/** The window's attempts and failures from its six buckets (as the report script counts them). */
function windowTotals(window: Record<string, string>, now: number, windowMs: number): { attempts: number; failures: number } {
  const bucketMs = Math.max(1, Math.floor(windowMs / 6));
  const current = Math.floor(now / bucketMs);
  let attempts = 0;
  let failures = 0;
  for (let slot = 0; slot < 6; slot++) {
    const t = Number(window[`t${slot}`]);
    if (!Number.isFinite(t) || t <= current - 6) continue;
    const f = Number(window[`f${slot}`] ?? 0);
    attempts += Number(window[`o${slot}`] ?? 0) + f;
    failures += f;
  }
  return { attempts, failures };
}
