import { setTimeout } from 'node:timers/promises';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { API_NODE_FLAGS } from '../apps/webhooks-host/src/launch';
import type { ChildHandle, MemoryReport } from './bench-ipc';
import { BENCH_ADMIN_API_KEY, BenchContext, ORDER_DATA, StageEnvironment, percentile, round } from './bench-support';
import type { Figures, Stage } from './stages';

/** Connections of the saturation runs (as many as the worker's concurrency elsewhere in the benchmark). */
const CONNECTIONS = 50;
/** The rate of the latency runs, as in the in-process latency stage. */
const LATENCY_RATE = 500;
/** An api process as `npm start` runs it (launch.ts). */
const API_PROCESS = { NODE_OPTIONS: API_NODE_FLAGS.join(' ') };
/** Events per batch publish, and the batch runs' connections (each carries this many events at once). */
const BATCH_SIZE = 100;
const BATCH_CONNECTIONS = 10;

const PUBLISH_PATH = '/api/webhooks/publish';
const BATCH_PATH = '/api/webhooks/publish/batch';
const publishBody = (data: object = ORDER_DATA) => JSON.stringify({ webhookName: 'order.created', data });
const authorization = (key: string) => ({ authorization: `Bearer ${key}` });

/**
 * Runs autocannon against the service; returns requests/s of 2xx answers over the run's wall time. Anything
 * but 2xx breaks the stage: a rate of failures is not a rate. Given the service's process, also the CPU time
 * it spent per accepted request: on a shared machine that moves far less than the rate.
 */
async function cannon(
  label: string,
  options: Record<string, unknown>,
  service?: ChildHandle,
): Promise<{ rate: number; accepted: number; cpuUs: number }> {
  const cpuMs = async () => (service ? ((await service.request({ type: 'memory' }, 'memory')) as MemoryReport).cpuMs : 0);
  const cpuBefore = await cpuMs();
  const started = performance.now();
  const result = await autocannon({ connections: CONNECTIONS, ...options });
  const seconds = (performance.now() - started) / 1000;
  const cpuUsed = (await cpuMs()) - cpuBefore;
  const accepted = Number(result['2xx']);
  if (result.non2xx || result.errors || result.timeouts || accepted === 0) {
    throw new Error(`${label}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return { rate: accepted / seconds, accepted, cpuUs: (1000 * cpuUsed) / accepted };
}

/** A tenant API key with the publish permission, created through the API as an operator would. */
async function createTenantKey(baseUrl: string, tenant: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/webhooks/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authorization(BENCH_ADMIN_API_KEY), __tenant: tenant },
    body: JSON.stringify({ name: 'bench', permissions: ['Webhooks.Publish'] }),
  });
  const answer = (await response.json()) as { key?: string };
  if (response.status !== 201 || !answer.key) throw new Error(`creating an API key answered ${response.status}`);
  return answer.key;
}

async function countEvents(stage: StageEnvironment, tenant: string): Promise<number> {
  const [{ count }] = await stage.env.query<{ count: string }>('SELECT count(*) FROM webhook_events WHERE tenant_id = $1', [
    tenant,
  ]);
  return Number(count);
}

/**
 * Publishes/s at saturation over HTTP (autocannon in the benchmark's process, the service in its own), with the
 * host admin key and with a tenant API key, one event a request and then batches of BATCH_SIZE, against a
 * trivial route of the same process in the same run. Each event stores one delivery and enqueues it (no
 * worker runs); every accepted event is checked to be stored.
 */
async function saturation(context: BenchContext): Promise<Figures> {
  const seconds = context.quick ? 1 : 10;
  const stage = new StageEnvironment(context);
  try {
    const { baseUrl, service } = await stage.start('api', API_PROCESS);
    await context.insertSubscriptions(stage.env, 'ia', 0, 1, 1);
    await context.insertSubscriptions(stage.env, 'it', 0, 1, 1);
    const tenantKey = await createTenantKey(baseUrl, 'it00000');
    const publish = (key: string, extra: Record<string, string> = {}) => ({
      url: baseUrl + PUBLISH_PATH,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authorization(key), ...extra },
      body: publishBody(),
    });
    const trivial = { url: `${baseUrl}/health/live` };
    // The JIT and the connection pools warm up first (to a tenant without subscriptions), not measured.
    await cannon('warm-up', { ...publish(BENCH_ADMIN_API_KEY, { __tenant: 'warm-up' }), duration: context.quick ? 1 : 3 });
    await cannon('warm-up', { ...trivial, duration: 1 });
    // The trivial route before and after the publishes: their mean is the reference, so a drift in the
    // machine's load during the stage does not favour one side.
    const trivialBefore = await cannon('trivial route', { ...trivial, duration: seconds }, service);
    const admin = await cannon('publish (admin key)', {
      ...publish(BENCH_ADMIN_API_KEY, { __tenant: 'ia00000' }),
      duration: seconds,
    });
    const tenant = await cannon('publish (tenant key)', { ...publish(tenantKey), duration: seconds }, service);
    const batches = await cannon(
      'batch publish (tenant key)',
      {
        ...publish(tenantKey),
        url: baseUrl + BATCH_PATH,
        body: JSON.stringify({
          events: Array.from({ length: BATCH_SIZE }, () => ({ webhookName: 'order.created', data: ORDER_DATA })),
        }),
        connections: BATCH_CONNECTIONS,
        // --quick: a fixed number, since on a busy machine one batch can take longer than the quick run's second.
        ...(context.quick ? { amount: 2 * BATCH_CONNECTIONS } : { duration: seconds }),
      },
      service,
    );
    const trivialAfter = await cannon('trivial route', { ...trivial, duration: seconds }, service);
    // A run stops with up to one request per connection in flight, not counted but possibly stored.
    const expect = async (tenantId: string, accepted: number, inFlight: number) => {
      const stored = await countEvents(stage, tenantId);
      if (stored < accepted || stored > accepted + inFlight) throw new Error(`${stored} events stored for ${accepted} accepted`);
    };
    await expect('ia00000', admin.accepted, CONNECTIONS);
    await expect('it00000', tenant.accepted + BATCH_SIZE * batches.accepted, CONNECTIONS + BATCH_SIZE * BATCH_CONNECTIONS);
    const reference = (trivialBefore.rate + trivialAfter.rate) / 2;
    const trivialCpuUs = (trivialBefore.cpuUs + trivialAfter.cpuUs) / 2;
    return {
      'trivial route req/s (GET /health/live)': Math.round(reference),
      'trivial route req/s before / after': `${Math.round(trivialBefore.rate)} / ${Math.round(trivialAfter.rate)}`,
      'publish/s admin key': Math.round(admin.rate),
      'publish/s tenant key': Math.round(tenant.rate),
      'tenant-key publish % of trivial': round((100 * tenant.rate) / reference),
      [`batch publish events/s (${BATCH_SIZE} per request)`]: Math.round(BATCH_SIZE * batches.rate),
      // What the api process spent, whatever else ran on the machine meanwhile.
      'api CPU us per trivial request': Math.round(trivialCpuUs),
      'api CPU us per tenant-key publish': Math.round(tenant.cpuUs),
      'trivial request CPU % of tenant-key publish CPU': round((100 * trivialCpuUs) / tenant.cpuUs),
      'api CPU us per batched event': round(batches.cpuUs / BATCH_SIZE),
    };
  } finally {
    await stage.close();
  }
}

/**
 * Publishes `amount` events at a steady rate, each request leaving on its own schedule (one every 1000/rate ms)
 * whatever the answers to earlier ones: autocannon's rate sends each connection's share of a second back to back
 * at the second's start, which is a burst every second, not a rate. Each request is stamped as it leaves, for the
 * receiver to measure from. Anything but 2xx breaks the stage.
 */
async function publishSteadily(
  baseUrl: string,
  tenant: string,
  rate: number,
  amount: number,
): Promise<{ rate: number; accepted: number; answerMs: number[] }> {
  const pool = new Pool(baseUrl, { connections: CONNECTIONS * 2 });
  const headers = { 'content-type': 'application/json', ...authorization(BENCH_ADMIN_API_KEY), __tenant: tenant };
  const answerMs: number[] = [];
  const publishOne = async () => {
    const sentAt = performance.now();
    const body = publishBody({ ...ORDER_DATA, benchSentAtMs: Date.now() });
    const { statusCode, body: answer } = await pool.request({ path: PUBLISH_PATH, method: 'POST', headers, body });
    await answer.text();
    if (statusCode < 200 || statusCode >= 300) throw new Error(`publish at ${rate}/s answered ${statusCode}`);
    answerMs.push(Math.round(performance.now() - sentAt));
  };
  const started = performance.now();
  const requests: Promise<void>[] = [];
  try {
    while (requests.length < amount) {
      const due = Math.min(amount, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
      while (requests.length < due) requests.push(publishOne());
      await setTimeout(1);
    }
    await Promise.all(requests);
  } finally {
    await pool.close();
  }
  return { rate: amount / ((performance.now() - started) / 1000), accepted: amount, answerMs };
}

/**
 * Publish-to-first-attempt over HTTP at a steady rate, with the service as one process of ROLE=all or as an
 * api and a worker process (as `npm start` runs it). Each publish carries the time the load process sent it;
 * the receiver measures from that, so the figure includes the HTTP request and the publish itself.
 */
export async function latencyOverHttp(context: BenchContext, roles: 'all' | 'split', fullRate = LATENCY_RATE): Promise<Figures> {
  const rate = context.quick ? 100 : fullRate;
  const seconds = context.quick ? 2 : 30;
  const warmUpSeconds = context.quick ? 1 : 5;
  const stage = new StageEnvironment(context);
  try {
    const { baseUrl } = roles === 'all' ? await stage.start('all') : await stage.start('api', API_PROCESS);
    if (roles === 'split') await stage.start('worker');
    await context.insertSubscriptions(stage.env, 'hl', 0, 1, 1);
    await context.insertSubscriptions(stage.env, 'hw', 0, 1, 1);
    const atRate = (tenant: string, amount: number) => publishSteadily(baseUrl, tenant, rate, amount);
    await context.resetReceiver();
    const warmUp = await atRate('hw00000', rate * warmUpSeconds);
    await context.waitForDelivered(stage.env, warmUp.accepted, 120_000);
    await context.verifyStored(stage.env, warmUp.accepted, 'hw00000');
    await context.resetReceiver(0, true);
    const events = rate * seconds;
    const run = await atRate('hl00000', events);
    await context.waitForDelivered(stage.env, events, 120_000 + events * 10);
    const { latenciesMs } = await context.receiverStats();
    await context.verifyStored(stage.env, events, 'hl00000');
    const prefix = roles === 'all' ? 'one process (ROLE=all)' : 'api + worker (npm start)';
    return {
      [`${prefix}: achieved events/s`]: Math.round(run.rate),
      [`${prefix}: publish answer p50 / p99 ms`]: `${percentile(run.answerMs, 0.5)} / ${percentile(run.answerMs, 0.99)}`,
      [`${prefix}: first attempt p50 ms`]: percentile(latenciesMs, 0.5),
      [`${prefix}: first attempt p95 ms`]: percentile(latenciesMs, 0.95),
      [`${prefix}: first attempt p99 ms`]: percentile(latenciesMs, 0.99),
    };
  } finally {
    await stage.close();
  }
}

/**
 * Ingest: the service's main entrance, `POST /api/webhooks/publish`, measured from outside: the publish rate
 * at saturation against a trivial route's, then publish-to-first-attempt at a steady rate over HTTP.
 */
export const ingestStage: Stage = {
  name: 'ingest',
  async run(context) {
    const figures: Figures = { 'offered events/s (latency)': context.quick ? 100 : LATENCY_RATE };
    Object.assign(figures, await saturation(context));
    context.step('saturation measured');
    Object.assign(figures, await latencyOverHttp(context, 'all'));
    context.step('latency with one process measured');
    Object.assign(figures, await latencyOverHttp(context, 'split'));
    return figures;
  },
};
