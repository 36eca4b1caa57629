import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryDispatch, DeliverySweeper } from '@hookline/webhooks';
import { REDIS_URL, RunningHookline, ScratchEnvironment, sendsSettled, startHookline } from './support/hookline';
import { HooklineProcess } from './support/hookline-process';
import { TestReceiver } from './support/receiver';
import { TcpProxy } from './support/tcp-proxy';
import { waitUntil } from './support/wait';

/** Runs `body` with a fresh environment and receiver, and cleans up whatever it started. */
async function withEnvironment(
  body: (env: ScratchEnvironment, receiver: TestReceiver, apps: RunningHookline[]) => Promise<void>,
) {
  const env = new ScratchEnvironment();
  const receiver = await TestReceiver.start();
  const apps: RunningHookline[] = [];
  try {
    await body(env, receiver, apps);
  } finally {
    for (const app of apps) await app.close().catch(() => undefined);
    await receiver.close();
    await env.drop();
  }
}

const pendingCount = async (env: ScratchEnvironment) =>
  Number((await env.query<{ n: string }>(`SELECT count(*) AS n FROM webhook_deliveries WHERE state = 'pending'`))[0].n);

/** Issue test 7 and "loses nothing": a stopped worker, a Redis that lost its jobs, Redis or PostgreSQL away. */
describe('nothing is lost', () => {
  it('delivers events published while no worker runs, once a worker starts', () =>
    withEnvironment(async (env, receiver, apps) => {
      const api = await startHookline(env, { ROLE: 'api' });
      apps.push(api);
      await api.api.subscribe({ webhookUri: receiver.url('/later'), webhooks: ['order.created'] }, 't');
      for (let i = 0; i < 3; i++) await api.api.publish({ webhookName: 'order.created', data: { i } }, 't');
      // Handed to the scheduler, and nobody claims them: an API-only process never sends.
      const counts = await api.app.get(DeliveryDispatch).counts();
      assert.deepEqual([counts.waiting, counts.inFlight], [3, 0]);
      assert.equal(receiver.requests('/later').length, 0, 'an API-only process sends nothing');
      assert.equal(await pendingCount(env), 3);

      const worker = await startHookline(env, { ROLE: 'worker' });
      apps.push(worker);
      const requests = await receiver.waitForRequests('/later', 3);
      await sendsSettled(env, worker);
      assert.equal(receiver.requests('/later').length, 3);
      assert.deepEqual(requests.map((r) => JSON.parse(r.body).data.i).sort(), [0, 1, 2]);
    }));

  it('hands a delivery cut off by a killed worker to another worker', () =>
    withEnvironment(async (env, receiver, apps) => {
      // The first request hangs until its worker is gone; the next one is answered at once.
      receiver.on('/killed', (_, n) => (n === 0 ? { status: 200, delayMs: 30_000 } : { status: 200 }));
      const api = await startHookline(env, { ROLE: 'api' });
      apps.push(api);
      await api.api.subscribe({ webhookUri: receiver.url('/killed'), webhooks: ['order.created'] }, 't');
      const workerSettings = { ROLE: 'worker', WEBHOOKS_JOB_LOCK_MS: '1000' };

      const doomed = await HooklineProcess.start(env, workerSettings);
      const eventId = await api.api.publish({ webhookName: 'order.created', data: { survives: 'SIGKILL' } }, 't');
      await receiver.waitForRequests('/killed', 1);
      await doomed.kill('SIGKILL');

      const successor = await HooklineProcess.start(env, workerSettings);
      try {
        const [first, second] = await receiver.waitForRequests('/killed', 2, 20_000);
        assert.equal(second.headers['webhook-id'], first.headers['webhook-id'], 'the same delivery, so the receiver can dedupe');
        await waitUntil(async () => {
          const [delivery] = await env.query<{ state: string }>(
            'SELECT state FROM webhook_deliveries WHERE webhook_event_id = $1',
            [eventId],
          );
          return delivery.state === 'succeeded';
        });
        const attempts = await env.query<{ attempt_number: number; succeeded: boolean }>(
          'SELECT attempt_number, succeeded FROM webhook_send_attempts WHERE webhook_event_id = $1',
          [eventId],
        );
        assert.deepEqual(
          attempts,
          [{ attempt_number: 1, succeeded: true }],
          'the killed try left no record; the retry is attempt 1',
        );
      } finally {
        await successor.kill('SIGTERM');
      }
    }));

  it('hands a pending delivery Redis lost back to the scheduler, through the sweeper', () =>
    withEnvironment(async (env, receiver, apps) => {
      const api = await startHookline(env, { ROLE: 'api' });
      apps.push(api);
      await api.api.subscribe({ webhookUri: receiver.url('/swept'), webhooks: ['order.paid'] }, 't');
      await api.api.publish({ webhookName: 'order.paid', data: { swept: true } }, 't');
      const [{ id }] = await env.query<{ id: string }>('SELECT id FROM webhook_deliveries');
      assert.equal((await api.app.get(DeliveryDispatch).counts()).waiting, 1, 'the delivery was handed to the scheduler');

      await env.flushRedis();
      assert.deepEqual(await env.redisKeys(), [], 'Redis lost everything');

      const worker = await startHookline(env, {
        ROLE: 'worker',
        WEBHOOKS_SWEEP_INTERVAL_MS: '200',
        WEBHOOKS_SWEEP_GRACE_MS: '0',
      });
      apps.push(worker);
      const [request] = await receiver.waitForRequests('/swept', 1);
      assert.equal(request.headers['webhook-id'], id);
      await sendsSettled(env, worker);
      assert.equal(await worker.app.get(DeliverySweeper).sweep(), 0, 'a sweep after the send hands nothing over');
      assert.equal(receiver.requests('/swept').length, 1, 'sweeping again does not send again');
    }));

  it('accepts a publish while Redis is unreachable and delivers it once Redis is back', () =>
    withEnvironment(async (env, receiver, apps) => {
      const redisProxy = await TcpProxy.start(Number(new URL(REDIS_URL).port || 6379));
      try {
        const hookline = await startHookline(env, {
          REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
          WEBHOOKS_SWEEP_INTERVAL_MS: '200',
          WEBHOOKS_SWEEP_GRACE_MS: '0',
        });
        apps.push(hookline);
        await hookline.api.subscribe({ webhookUri: receiver.url('/redis-down'), webhooks: ['customer.created'] }, 't');

        await redisProxy.cut();
        const dispatch = hookline.app.get(DeliveryDispatch);
        await waitUntil(async () => !(await dispatch.ping()));
        const started = Date.now();
        const eventId = await hookline.api.publish({ webhookName: 'customer.created', data: { during: 'outage' } }, 't');
        assert.ok(Date.now() - started < 2000, `publish took ${Date.now() - started} ms with Redis away`);
        const [delivery] = await env.query<{ state: string }>(
          'SELECT state FROM webhook_deliveries WHERE webhook_event_id = $1',
          [eventId],
        );
        assert.equal(delivery.state, 'pending', 'the event and its delivery are stored');
        assert.equal(await hookline.app.get(DeliverySweeper).sweep(), 0, 'the sweeper cannot hand it over yet');
        assert.equal(receiver.requests('/redis-down').length, 0);

        await redisProxy.resume();
        await receiver.waitForRequests('/redis-down', 1, 20_000);
        await sendsSettled(env, hookline);
        assert.equal(receiver.requests('/redis-down').length, 1);
      } finally {
        await redisProxy.close();
      }
    }));

  it('answers 503 and stores nothing when PostgreSQL is unreachable, then works again', () =>
    withEnvironment(async (env, _receiver, apps) => {
      const pgProxy = await TcpProxy.start(5432);
      try {
        const hookline = await startHookline(env, {
          ROLE: 'api',
          DATABASE_URL: env.databaseUrl(`postgres://postgres@127.0.0.1:${pgProxy.port}`),
        });
        apps.push(hookline);
        await hookline.api.publish({ webhookName: 'order.created', data: { before: true } });

        await pgProxy.cut();
        const { status, body } = await hookline.api.post('/api/webhooks/publish', {
          webhookName: 'order.created',
          data: { during: true },
        });
        assert.equal(status, 503);
        assert.equal(body.error.code, 'ServiceUnavailable');
        assert.match(body.error.message, /database is unavailable/i);

        await pgProxy.resume();
        assert.equal((await env.rowCounts()).events, 1, 'the refused publish stored nothing');
        await waitUntil(
          async () =>
            (await hookline.api.post('/api/webhooks/publish', { webhookName: 'order.created', data: { after: true } })).status ===
            202,
        );
        assert.equal((await env.rowCounts()).events, 2);
      } finally {
        await pgProxy.close();
      }
    }));
});
