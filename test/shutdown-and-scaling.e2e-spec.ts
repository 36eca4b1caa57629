import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunningHookline, ScratchEnvironment, startHookline } from './support/hookline';
import { HooklineProcess } from './support/hookline-process';
import { scrapeMetrics } from './support/metrics';
import { TestReceiver } from './support/receiver';
import { waitUntil } from './support/wait';

/**
 * An API in this process and worker processes of their own, on a fresh environment; all cleaned up after.
 * `apps` takes applications the body starts in this process (quicker to start than a process).
 */
async function withApiAndWorkers(
  body: (
    env: ScratchEnvironment,
    receiver: TestReceiver,
    api: RunningHookline,
    workers: HooklineProcess[],
    apps: RunningHookline[],
  ) => Promise<void>,
) {
  const env = new ScratchEnvironment();
  const receiver = await TestReceiver.start();
  const workers: HooklineProcess[] = [];
  const apps: RunningHookline[] = [];
  try {
    apps.push(await startHookline(env, { ROLE: 'api' }));
    await body(env, receiver, apps[0], workers, apps);
  } finally {
    for (const worker of workers) await worker.kill('SIGKILL');
    for (const app of apps) await app.close();
    await receiver.close();
    await env.drop();
  }
}

const deliveryStates = async (env: ScratchEnvironment) =>
  Object.fromEntries(
    (
      await env.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM webhook_deliveries GROUP BY state')
    ).map((r) => [r.state, r.n]),
  );

const webhookIds = (receiver: TestReceiver, path: string) => receiver.requests(path).map((r) => String(r.headers['webhook-id']));

describe('graceful shutdown', () => {
  it('on SIGTERM during a burst lets the deliveries in flight finish, exits 0, and a restarted worker sends the rest', () =>
    withApiAndWorkers(async (env, receiver, api, workers, apps) => {
      receiver.on('/burst', () => ({ status: 200, delayMs: 300 }));
      await api.api.subscribe({ webhookUri: receiver.url('/burst'), webhooks: ['order.created'] }, 't');
      for (let i = 0; i < 30; i++) await api.api.publish({ webhookName: 'order.created', data: { i } }, 't');
      // A short lease: a delivery a finishing worker claimed but could not finish is soon handed out again.
      const settings = {
        ROLE: 'worker',
        WEBHOOKS_WORKER_CONCURRENCY: '4',
        WEBHOOKS_SHUTDOWN_GRACE_MS: '10000',
        WEBHOOKS_JOB_LOCK_MS: '1000',
      };

      const first = await HooklineProcess.start(env, settings);
      workers.push(first);
      await receiver.waitForRequests('/burst', 4);
      const exit = await first.stop('SIGTERM');
      assert.deepEqual(exit, { code: 0, signal: null }, first.log);
      assert.match(first.log, /every send in flight finished/);

      // Every request that went out before the exit was answered and recorded: none was cut off.
      const sentByFirst = new Set(webhookIds(receiver, '/burst'));
      const settled = await env.query<{ id: string }>(`SELECT id FROM webhook_deliveries WHERE state = 'succeeded'`);
      assert.deepEqual(new Set(settled.map((d) => d.id)), sentByFirst);
      assert.ok((await deliveryStates(env)).pending > 0, 'the burst was stopped part-way: nothing new was claimed');

      apps.push(await startHookline(env, settings));
      await waitUntil(async () => (await deliveryStates(env)).succeeded === 30, { timeoutMs: 30_000 });
      assert.equal(new Set(webhookIds(receiver, '/burst')).size, 30, 'every delivery was sent');
    }));

  it('cuts off a delivery still running when the grace period ends, exits 0, and the delivery is sent again later', () =>
    withApiAndWorkers(async (env, receiver, api, workers, apps) => {
      // The first request hangs far beyond the grace period; the retry is answered at once.
      receiver.on('/slow', (_, n) => (n === 0 ? { status: 200, delayMs: 60_000 } : { status: 200 }));
      await api.api.subscribe({ webhookUri: receiver.url('/slow'), webhooks: ['order.created'] }, 't');
      const settings = { ROLE: 'worker', WEBHOOKS_SHUTDOWN_GRACE_MS: '500', WEBHOOKS_JOB_LOCK_MS: '1000' };

      const first = await HooklineProcess.start(env, settings);
      workers.push(first);
      await api.api.publish({ webhookName: 'order.created', data: { slow: true } }, 't');
      await receiver.waitForRequests('/slow', 1);
      assert.deepEqual(await first.stop('SIGTERM'), { code: 0, signal: null }, first.log);
      assert.match(first.log, /still in flight/);
      assert.deepEqual(await deliveryStates(env), { pending: 1 }, 'the cut-off delivery is still pending, not lost');
      apps.push(await startHookline(env, settings));
      const [cutOff, retried] = await receiver.waitForRequests('/slow', 2, 30_000);
      assert.equal(retried.headers['webhook-id'], cutOff.headers['webhook-id']);
      await waitUntil(async () => (await deliveryStates(env)).succeeded === 1);
    }));
});

describe('scale-out', () => {
  it('two worker processes drain one backlog together, never sending one delivery twice at the same time', () =>
    withApiAndWorkers(async (env, receiver, api, workers) => {
      const inFlight = new Set<string>();
      let concurrentDuplicates = 0;
      const delayMs = 100;
      receiver.on('/shared', (request) => {
        const id = String(request.headers['webhook-id']);
        if (inFlight.has(id)) concurrentDuplicates++;
        inFlight.add(id);
        setTimeout(() => inFlight.delete(id), delayMs);
        return { status: 200, delayMs };
      });
      await api.api.subscribe({ webhookUri: receiver.url('/shared'), webhooks: ['order.created'] }, 't');
      const settings = { ROLE: 'worker', WEBHOOKS_WORKER_CONCURRENCY: '5' };
      workers.push(...(await Promise.all([HooklineProcess.start(env, settings), HooklineProcess.start(env, settings)])));

      for (let i = 0; i < 60; i++) await api.api.publish({ webhookName: 'order.created', data: { i } }, 't');
      await waitUntil(async () => (await deliveryStates(env)).succeeded === 60, { timeoutMs: 30_000 });

      assert.equal(concurrentDuplicates, 0);
      assert.equal(receiver.requests('/shared').length, 60, 'no delivery was sent twice at all');
      assert.equal(new Set(webhookIds(receiver, '/shared')).size, 60);
      // Each worker process serves its own /metrics: both took part, and together they made every attempt.
      const attempts = await Promise.all(
        workers.map(async (w) => (await scrapeMetrics(w.baseUrl)).value('hookline_delivery_attempts_total')),
      );
      assert.ok(
        attempts.every((n) => n > 0),
        `attempts per worker: ${attempts}`,
      );
      assert.equal(
        attempts.reduce((a, b) => a + b),
        60,
      );
      for (const worker of workers) assert.equal((await fetch(`${worker.baseUrl}/health/ready`)).status, 200);
    }));
});
