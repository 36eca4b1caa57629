import autocannon from 'autocannon';
import { DEFAULT_WEBHOOKS_OPTIONS } from '@hookline/webhooks-core';
import type { ChildHandle, PublishCommand, PublishReport, MemoryReport } from './bench-ipc';
import {
  BENCH_ADMIN_API_KEY,
  BenchContext,
  ORDER_DATA,
  StageEnvironment,
  percentile,
  round,
  signedEnvelope,
  subscribeOverHttp,
} from './bench-support';

/** Figures of one stage, by name. */
export type Figures = Record<string, number | string>;

export interface Stage {
  name: string;
  run(context: BenchContext, shared: Figures): Promise<Figures>;
}

/** The concurrency the worker sends with (the service's default), used for the raw rate too. */
export const WORKER_CONCURRENCY = 50;

export const publishCommand = (p: Omit<PublishCommand, 'type' | 'webhookName' | 'data'>): PublishCommand => ({
  type: 'publish',
  webhookName: 'order.created',
  data: ORDER_DATA,
  ...p,
});

export async function publishInProcess(service: { request: Function }, command: PublishCommand): Promise<PublishReport> {
  const report: PublishReport = await service.request(command, 'published');
  if (report.errors) throw new Error(`${report.errors} in-process publishes failed, first: ${report.firstError}`);
  return report;
}

/**
 * POSTs `amount` publishes for `tenant` through the HTTP API, `connections` in flight (fetch, keep-alive);
 * returns events/s. Not autocannon: with a fixed amount it ends on its next one-second tick.
 */
async function publishOverHttp(baseUrl: string, tenant: string, amount: number, connections = 50): Promise<number> {
  const body = JSON.stringify({ webhookName: 'order.created', data: ORDER_DATA });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${BENCH_ADMIN_API_KEY}`, __tenant: tenant };
  let sent = 0;
  const failures: string[] = [];
  const started = performance.now();
  const loop = async () => {
    while (sent < amount) {
      sent++;
      const response = await fetch(`${baseUrl}/api/webhooks/publish`, { method: 'POST', headers, body });
      const answer = await response.text();
      if (response.status !== 202) failures.push(`${response.status} ${answer}`);
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  if (failures.length) throw new Error(`HTTP publish: ${failures.length} of ${amount} not accepted, first: ${failures[0]}`);
  return amount / ((performance.now() - started) / 1000);
}

/** Generous: even at 100 deliveries/s a stage finishes. */
export const drainTimeoutMs = (deliveries: number) => 120_000 + deliveries * 10;

/**
 * 1. The machine's raw POST rate to the same receiver, with a real signed envelope: the best of three runs,
 * since a limit is what the machine can do, and on a shared VM a single run can come out well below it.
 */
export const limitStage: Stage = {
  name: 'limit',
  async run(context) {
    const { body, headers } = signedEnvelope();
    const post = (duration: number) =>
      autocannon({ url: context.receiverUrl, method: 'POST', connections: WORKER_CONCURRENCY, duration, headers, body });
    // The receiver's first seconds (JIT) are not its rate: a short run first, not counted.
    await post(context.quick ? 1 : 3);
    const rates: number[] = [];
    for (let run = 0; run < 3; run++) {
      await context.resetReceiver();
      const started = performance.now();
      const result = await post(context.quick ? 1 : 5);
      if (result.non2xx || result.errors || result.requests.total === 0)
        throw new Error(`raw POSTs failed: ${result.non2xx} non-2xx, ${result.errors} errors`);
      rates.push(Math.round(result.requests.total / ((performance.now() - started) / 1000)));
    }
    const best = Math.max(...rates);
    return {
      'raw POST/s': best,
      'raw POST/s of each run': rates.join(' / '),
      // How far the slowest run fell below the best: on a shared VM the share of raw is only as steady as this.
      'raw POST/s spread %': round((100 * (best - Math.min(...rates))) / best),
      'body bytes': Buffer.byteLength(body),
      connections: WORKER_CONCURRENCY,
    };
  },
};

/**
 * 2. Throughput: a backlog published half through the HTTP API and half in-process (with no worker running),
 * then one worker process delivers it; every delivery and attempt is checked in PostgreSQL afterwards.
 */
export function throughputStage(fanOut: number): Stage {
  return {
    name: `throughput fan-out ${fanOut}`,
    async run(context, shared) {
      const deliveries = context.throughputDeliveries ?? (context.quick ? 1_000 : 50_000);
      const stage = new StageEnvironment(context);
      try {
        const api = await stage.start('api');
        context.step('api process started');
        return await measureThroughput(context, stage, api, shared, fanOut, deliveries);
      } finally {
        await stage.close();
        context.step('closed');
      }
    },
  };
}

/**
 * The throughput stage's measure on `stage`, whose api process runs and no worker: `fanOut` subscriptions of
 * `tenant`, a backlog of `deliveries` published to it, then a worker started to deliver it (left running).
 */
export async function measureThroughput(
  context: BenchContext,
  stage: StageEnvironment,
  { service: api, baseUrl }: { service: ChildHandle; baseUrl: string },
  shared: Figures,
  fanOut: number,
  deliveries: number,
  tenant = 'tp00000',
): Promise<Figures> {
  const events = deliveries / fanOut;
  // A receiver that takes the worker's whole concurrency says so, as its tenant would: the default
  // per-endpoint cap (WEBHOOKS_ENDPOINT_CONCURRENCY) protects receivers that did not.
  for (let i = 0; i < fanOut; i++) {
    await subscribeOverHttp(baseUrl, tenant, {
      webhookUri: `${context.receiverUrl}?endpoint=${i}`,
      webhooks: [['order.created'], ['order.*'], ['*']][i % 3],
      maxConcurrentSends: DEFAULT_WEBHOOKS_OPTIONS.workerConcurrency,
    });
  }
  await context.resetReceiver();
  const httpEvents = Math.floor(events / 2);
  // Warm-up (JIT, connection pools) to a tenant without subscriptions: events, no deliveries.
  await publishOverHttp(baseUrl, 'warm-up', context.quick ? 200 : 1000);
  const httpRate = await publishOverHttp(baseUrl, tenant, httpEvents);
  context.step('published over HTTP');
  const inProcess = await publishInProcess(
    api,
    publishCommand({ via: 'publisher', count: events - httpEvents, concurrency: 50, tenantIds: [tenant] }),
  );
  context.step('published in-process');
  const { service: worker } = await stage.start('worker');
  context.step('worker started');
  const before: MemoryReport = await worker.request({ type: 'memory' }, 'memory');
  const deliveredBefore = (await context.receiverStats()).succeededIds;
  const doneAt = await context.waitForDelivered(stage.env, deliveries, drainTimeoutMs(deliveries));
  const after: MemoryReport = await worker.request({ type: 'memory' }, 'memory');
  context.step('delivered');
  const { firstAt } = await context.receiverStats();
  const { attempts } = await context.verifyStored(stage.env, deliveries, tenant);
  const rate = deliveries / ((doneAt - firstAt!) / 1000);
  const raw = Number(shared['raw POST/s']);
  const bareBull = Number(shared['Bull + POST jobs/s']);
  const reference = Number(shared['Bull + POST + insert jobs/s']);
  return {
    deliveries,
    'publish HTTP events/s': Math.round(httpRate),
    'publish in-process events/s': Math.round((events - httpEvents) / (inProcess.elapsedMs / 1000)),
    'deliveries/s': Math.round(rate),
    'share of raw POST rate %': raw ? round((100 * rate) / raw) : 'n/a',
    // Against bare Bull jobs each making one POST, then one POST and one insert (the reference stage), same
    // machine and run: the throughput goal is a share of the first.
    'share of Bull + POST %': bareBull ? round((100 * rate) / bareBull) : 'n/a',
    'share of Bull + POST + insert %': reference ? round((100 * rate) / reference) : 'n/a',
    // Less noisy than deliveries/s on a shared machine; start-up is left out.
    'worker CPU µs/delivery': Math.round((1000 * (after.cpuMs - before.cpuMs)) / (deliveries - deliveredBefore)),
    attempts,
  };
}

/**
 * 3. Latency: a steady rate through the CQRS EventBus with a worker running; publish-to-first-attempt. The
 * first seconds (JIT, connection pools opening) are run to another tenant and not measured: the figure is
 * the steady state's.
 */
export const latencyStage: Stage = {
  name: 'latency',
  async run(context) {
    const stage = new StageEnvironment(context);
    try {
      const { service: api } = await stage.start('api');
      await context.insertSubscriptions(stage.env, 'lt', 0, 1, 1);
      await context.insertSubscriptions(stage.env, 'lw', 0, 1, 1);
      await stage.start('worker');
      return await measureFirstAttemptLatency(context, stage, api, 'lt00000', 'lw00000');
    } finally {
      await stage.close();
    }
  },
};

/**
 * The latency stage's measure on `stage`, whose api and worker run: a warm-up to `warmUpTenant`, then the measured
 * events to `tenant` (each with one subscription to the receiver).
 */
export async function measureFirstAttemptLatency(
  context: BenchContext,
  stage: StageEnvironment,
  api: ChildHandle,
  tenant: string,
  warmUpTenant: string,
): Promise<Figures> {
  const rate = context.quick ? 100 : 500;
  const seconds = context.quick ? 2 : 30;
  const events = rate * seconds;
  const warmUpEvents = rate * (context.quick ? 1 : 5);
  await context.resetReceiver();
  await publishInProcess(
    api,
    publishCommand({ via: 'bus', count: warmUpEvents, ratePerSecond: rate, tenantIds: [warmUpTenant] }),
  );
  await context.waitForDelivered(stage.env, warmUpEvents, drainTimeoutMs(warmUpEvents));
  await context.verifyStored(stage.env, warmUpEvents, warmUpTenant);
  await context.resetReceiver(0, true);
  const report = await publishInProcess(
    api,
    publishCommand({ via: 'bus', count: events, ratePerSecond: rate, tenantIds: [tenant] }),
  );
  await context.waitForDelivered(stage.env, events, drainTimeoutMs(events));
  const { latenciesMs } = await context.receiverStats();
  await context.verifyStored(stage.env, events, tenant);
  return {
    'offered events/s': rate,
    'achieved events/s': Math.round(events / (report.elapsedMs / 1000)),
    'warm-up events (not measured)': warmUpEvents,
    events,
    'first attempt p50 ms': percentile(latenciesMs, 0.5),
    'first attempt p95 ms': percentile(latenciesMs, 0.95),
    'first attempt p99 ms': percentile(latenciesMs, 0.99),
  };
}

/** Sequential publishes over HTTP, each to one of `tenants` in turn; latencies in ms. */
export async function publishLatencies(baseUrl: string, tenants: string[], count: number): Promise<number[]> {
  const body = JSON.stringify({ webhookName: 'order.created', data: ORDER_DATA });
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await fetch(`${baseUrl}/api/webhooks/publish`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${BENCH_ADMIN_API_KEY}`,
        __tenant: tenants[i % tenants.length],
      },
      body,
    });
    const answer = await response.text();
    latencies.push(performance.now() - started);
    if (response.status !== 202) throw new Error(`publish answered ${response.status} ${answer}`);
  }
  return latencies;
}

/** 4. Scale: publish latency with 100 subscriptions (10 tenants), then with 100,000 across 10,000 tenants. */
export const scaleStage: Stage = {
  name: 'scale',
  async run(context) {
    const samples = context.quick ? 50 : 1000;
    // --quick: 10,000 subscriptions across 1,000 tenants.
    const tenantsInTotal = context.quick ? 1_000 : 10_000;
    const large = `${(tenantsInTotal * 10).toLocaleString('en')} subs`;
    const stage = new StageEnvironment(context);
    try {
      const { baseUrl } = await stage.start('api');
      const tenants = Array.from({ length: 10 }, (_, i) => `sc${String(i).padStart(5, '0')}`);
      await context.insertSubscriptions(stage.env, 'sc', 0, 10, 10);
      await publishLatencies(baseUrl, tenants, 50); // warm-up
      const small = await publishLatencies(baseUrl, tenants, samples);
      await context.insertSubscriptions(stage.env, 'sc', 10, tenantsInTotal, 10);
      await publishLatencies(baseUrl, tenants, 50);
      const many = await publishLatencies(baseUrl, tenants, samples);
      const [{ count }] = await stage.env.query<{ count: string }>('SELECT count(*) FROM webhook_subscriptions');
      if (Number(count) !== tenantsInTotal * 10) throw new Error(`${count} subscriptions, expected ${tenantsInTotal * 10}`);
      return {
        'p50 ms @100 subs': round(percentile(small, 0.5), 2),
        'p99 ms @100 subs': round(percentile(small, 0.99), 2),
        [`p50 ms @${large}`]: round(percentile(many, 0.5), 2),
        [`p99 ms @${large}`]: round(percentile(many, 0.99), 2),
        'p99 ratio many/100': round(percentile(many, 0.99) / percentile(small, 0.99), 2),
      };
    } finally {
      await stage.close();
    }
  },
};

/** 5. Memory: a backlog of 200,000 deliveries drained by one worker process; its peak RSS. */
export const memoryStage: Stage = {
  name: 'memory',
  async run(context) {
    const fanOut = 10;
    const deliveries = context.quick ? 1_000 : 200_000;
    const stage = new StageEnvironment(context);
    try {
      const { service: api } = await stage.start('api');
      await context.insertSubscriptions(stage.env, 'mem', 0, 1, fanOut);
      await context.resetReceiver();
      await publishInProcess(
        api,
        publishCommand({ via: 'publisher', count: deliveries / fanOut, concurrency: 50, tenantIds: ['mem00000'] }),
      );
      const { service: worker } = await stage.start('worker');
      const doneAt = await context.waitForDelivered(stage.env, deliveries, drainTimeoutMs(deliveries));
      const memory: MemoryReport = await worker.request({ type: 'memory' }, 'memory');
      const { firstAt } = await context.receiverStats();
      await context.verifyStored(stage.env, deliveries);
      return {
        backlog: deliveries,
        'worker peak RSS MB': Math.round(memory.maxRssMb),
        'worker RSS after MB': Math.round(memory.rssMb),
        'deliveries/s': Math.round(deliveries / ((doneAt - firstAt!) / 1000)),
      };
    } finally {
      await stage.close();
    }
  },
};

/**
 * 6. Failure load: the receiver answers 500 to 10% of requests (retried after 100-2000 ms). A backlog is
 * drained (throughput), then fresh events at a steady rate show whether retries delay first attempts.
 */
export const failureStage: Stage = {
  name: 'failure load',
  async run(context, shared) {
    const backlog = context.quick ? 200 : 10_000;
    const rate = context.quick ? 50 : 200;
    const seconds = context.quick ? 2 : 15;
    const stage = new StageEnvironment(context);
    try {
      const { service: api } = await stage.start('api');
      await context.insertSubscriptions(stage.env, 'fl', 0, 1, 1);
      await context.resetReceiver(0.1);
      await publishInProcess(api, publishCommand({ via: 'publisher', count: backlog, concurrency: 50, tenantIds: ['fl00000'] }));
      await stage.start('worker');
      const doneAt = await context.waitForDelivered(stage.env, backlog, drainTimeoutMs(backlog));
      const drained = await context.receiverStats();
      await context.verifyStored(stage.env, backlog);

      await context.resetReceiver(0.1, true);
      const fresh = rate * seconds;
      await publishInProcess(api, publishCommand({ via: 'bus', count: fresh, ratePerSecond: rate, tenantIds: ['fl00000'] }));
      await context.waitForDelivered(stage.env, fresh, drainTimeoutMs(fresh));
      const steady = await context.receiverStats();
      const [row] = await stage.env.query<{ attempts: string; succeeded: string }>(
        `SELECT (SELECT count(*) FROM webhook_send_attempts) AS attempts,
                (SELECT count(*) FROM webhook_deliveries WHERE state = 'succeeded') AS succeeded`,
      );
      if (Number(row.succeeded) !== backlog + fresh)
        throw new Error(`${row.succeeded} of ${backlog + fresh} deliveries succeeded`);
      if (Number(row.attempts) !== drained.requests + steady.requests) {
        throw new Error(`${row.attempts} attempts stored for ${drained.requests + steady.requests} requests received`);
      }
      const noFailureP99 = shared['first attempt p99 ms'];
      return {
        'backlog deliveries/s': Math.round(backlog / ((doneAt - drained.firstAt!) / 1000)),
        'backlog answers 500': drained.failed,
        'fresh events/s': rate,
        'fresh first attempt p50 ms': percentile(steady.latenciesMs, 0.5),
        'fresh first attempt p99 ms': percentile(steady.latenciesMs, 0.99),
        'p99 without failures ms': noFailureP99 ?? 'n/a',
        'retried attempts': drained.failed + steady.failed,
      };
    } finally {
      await stage.close();
    }
  },
};
