import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { getQueueToken } from '@nestjs/bull';
import type { Job, Queue } from 'bull';
import { Client } from 'pg';
import { ClaimedDelivery, DeliveryDispatch, WEBHOOKS_QUEUE, WEBHOOK_SENDER_JOB, WebhookSenderJobData } from '@hookline/webhooks';
import { RunningHookline, ScratchEnvironment, startHookline } from './support/hookline';
import { HooklineProcess } from './support/hookline-process';
import { TestReceiver } from './support/receiver';
import { waitUntil } from './support/wait';

/** A fresh environment with a receiver and the applications the body starts; all cleaned up after. */
async function withEnvironment(
  body: (env: ScratchEnvironment, receiver: TestReceiver, apps: RunningHookline[], workers: HooklineProcess[]) => Promise<void>,
) {
  const env = new ScratchEnvironment();
  const receiver = await TestReceiver.start();
  const apps: RunningHookline[] = [];
  const workers: HooklineProcess[] = [];
  try {
    await body(env, receiver, apps, workers);
  } finally {
    for (const worker of workers) await worker.kill('SIGKILL');
    for (const app of apps) await app.close();
    await receiver.close();
    await env.drop();
  }
}

/** Milliseconds from each publish to its delivery's arrival, matched by the event id in the body. */
function arrivalDelays(receiver: TestReceiver, path: string, publishedAt: Map<string, number>): number[] {
  return receiver.requests(path).map((r) => {
    const eventId = JSON.parse(r.body).id as string;
    return r.receivedAt - publishedAt.get(eventId)!;
  });
}

const queueOf = (app: RunningHookline) => app.app.get<Queue>(getQueueToken(WEBHOOKS_QUEUE));

/** An api process whose scheduler the test drives by hand: no worker claims meanwhile. */
async function schedulerByHand(env: ScratchEnvironment, apps: RunningHookline[], settings: Record<string, string> = {}) {
  const app = await startHookline(env, { ROLE: 'api', ...settings });
  apps.push(app);
  return { app, dispatch: app.app.get(DeliveryDispatch) };
}

const pendingCount = async (env: ScratchEnvironment, tenantId: string) =>
  Number(
    (
      await env.query<{ n: string }>(`SELECT count(*) AS n FROM webhook_deliveries WHERE tenant_id = $1 AND state = 'pending'`, [
        tenantId,
      ])
    )[0].n,
  );

/** Runs `body` while another session holds a lock under which no attempt can be recorded; sends and reads go on. */
async function whileNoAttemptIsRecorded(env: ScratchEnvironment, body: () => Promise<void>): Promise<void> {
  const locker = new Client({ connectionString: env.databaseUrl() });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE webhook_send_attempts IN SHARE MODE');
    await body();
    await locker.query('COMMIT');
  } finally {
    await locker.end();
  }
}

describe('fair, isolated delivery', () => {
  it("sends run as Bull WebhookSenderJobs, and Bull's wait list never holds more than the worker's places", () =>
    withEnvironment(async (env, receiver, apps) => {
      const places = 8;
      const app = await startHookline(env, { WEBHOOKS_WORKER_CONCURRENCY: String(places) });
      apps.push(app);
      const queue = queueOf(app);
      const sentByJobs: string[] = [];
      queue.on('completed', (job: Job<WebhookSenderJobData>) => {
        if (job.name === WEBHOOK_SENDER_JOB) sentByJobs.push(...job.data.claims.map((claim) => claim.deliveryId));
      });
      receiver.on('/jobs', () => ({ status: 200, delayMs: 20 }));
      await app.api.subscribe({ webhookUri: receiver.url('/jobs'), webhooks: ['order.created'], maxConcurrentSends: 50 }, 't');
      let mostWaiting = 0;
      const sampler = setInterval(() => {
        queue.getWaitingCount().then(
          (n) => (mostWaiting = Math.max(mostWaiting, n)),
          () => undefined,
        );
      }, 5);
      try {
        for (let i = 0; i < 60; i++) await app.api.publish({ webhookName: 'order.created', data: { i } }, 't');
        await waitUntil(async () => (await pendingCount(env, 't')) === 0 && sentByJobs.length === 60, {
          message: () => `${sentByJobs.length} of 60 deliveries sent by WebhookSenderJobs`,
        });
      } finally {
        clearInterval(sampler);
      }

      const received = receiver.requests('/jobs').map((r) => String(r.headers['webhook-id']));
      assert.deepEqual(new Set(sentByJobs), new Set(received), 'each delivery was sent by a WebhookSenderJob carrying its id');
      assert.ok(mostWaiting <= places, `${mostWaiting} jobs waited in Bull at once for ${places} places`);
      const counts = await queue.getJobCounts();
      assert.ok(
        Object.values(counts).every((n) => n === 0),
        `finished jobs are removed: ${JSON.stringify(counts)}`,
      );
    }));

  it("a hanging endpoint holds at most its cap of sends, and none of the worker's room to prepare others; another tenant's deliveries arrive within a second", () =>
    withEnvironment(async (env, receiver, apps) => {
      const app = await startHookline(env, {
        WEBHOOKS_ENDPOINT_CONCURRENCY: '5',
        WEBHOOKS_WORKER_CONCURRENCY: '50',
        // Sends waiting on their receiver hold no room: one delivery prepared at a time is enough for B.
        WEBHOOKS_WORKER_PROCESSING_LIMIT: '1',
        // The hanging sends are cut off at shutdown rather than waited for.
        WEBHOOKS_SHUTDOWN_GRACE_MS: '0',
      });
      apps.push(app);
      receiver.on('/hang', () => ({ status: 200, delayMs: 60_000 }));
      // A timeout longer than the test: what holds the hanging sends back is the cap alone.
      await app.api.subscribe({ webhookUri: receiver.url('/hang'), webhooks: ['order.created'], timeoutDuration: 120 }, 'a');
      await app.api.subscribe({ webhookUri: receiver.url('/healthy'), webhooks: ['order.created'] }, 'b');
      for (let i = 0; i < 100; i++) await app.api.publish({ webhookName: 'order.created', data: { i } }, 'a');
      await receiver.waitForRequests('/hang', 5);

      const publishedAt = new Map<string, number>();
      for (let i = 0; i < 20; i++) {
        const before = Date.now();
        publishedAt.set(await app.api.publish({ webhookName: 'order.created', data: { i } }, 'b'), before);
      }
      await receiver.waitForRequests('/healthy', 20, 10_000);
      const delays = arrivalDelays(receiver, '/healthy', publishedAt);
      assert.ok(Math.max(...delays) < 1000, `B's slowest delivery took ${Math.max(...delays)} ms`);
      assert.equal(receiver.peakConcurrency('/hang'), 5, 'the hanging endpoint held exactly its cap of sends');
      assert.equal(receiver.requests('/hang').length, 5, 'and no more were sent to it');
    }));

  it("an endpoint's place is free once its receiver answered: recording the attempt holds none", () =>
    withEnvironment(async (env, receiver, apps) => {
      const app = await startHookline(env);
      apps.push(app);
      await app.api.subscribe({ webhookUri: receiver.url('/one'), webhooks: ['order.created'], maxConcurrentSends: 1 }, 't');
      await whileNoAttemptIsRecorded(env, async () => {
        for (let i = 0; i < 3; i++) await app.api.publish({ webhookName: 'order.created', data: { i } }, 't');
        await receiver.waitForRequests('/one', 3, 10_000);
        assert.equal(receiver.peakConcurrency('/one'), 1, 'one at a time, as capped');
        assert.equal(await pendingCount(env, 't'), 3, 'none of the attempts was recorded yet');
      });
      await env.deliveriesSettled();
      assert.equal(receiver.requests('/one').length, 3, 'each delivery was sent once');
    }));

  it("a worker's send places are free once answered too: as many claims again may be recording", () =>
    withEnvironment(async (env, receiver, apps) => {
      // Four places: three for first attempts, one for retries.
      const app = await startHookline(env, { WEBHOOKS_WORKER_CONCURRENCY: '4' });
      apps.push(app);
      await app.api.subscribe({ webhookUri: receiver.url('/wide'), webhooks: ['order.created'] }, 't');
      await whileNoAttemptIsRecorded(env, async () => {
        for (let i = 0; i < 4; i++) await app.api.publish({ webhookName: 'order.created', data: { i } }, 't');
        await receiver.waitForRequests('/wide', 4, 10_000);
      });
      await env.deliveriesSettled();
      assert.equal(receiver.requests('/wide').length, 4, 'each delivery was sent once');
    }));

  it('a delivery handed over again while its claim is not over (a replay meets a send) joins its lane when the claim ends', () =>
    withEnvironment(async (env, receiver, apps) => {
      const { dispatch } = await schedulerByHand(env, apps);
      const item = { deliveryId: randomUUID(), subscriptionId: randomUUID(), tenantId: 't' };
      const places = { first: 1, retry: 1 };
      assert.ok(await dispatch.submit([item], 'first'));
      const [claim] = await dispatch.claim(places, 1);
      assert.equal(claim.deliveryId, item.deliveryId);
      assert.ok(await dispatch.begin(claim));
      assert.ok(await dispatch.submit([item], 'first'), 'handed over again while being sent');
      await dispatch.report({
        claim,
        limits: { concurrency: null, ratePerSecond: null },
        result: 'skipped',
        timedOut: false,
        pauseUntil: null,
      });
      assert.deepEqual(await dispatch.claim(places, 1), [], 'not twice in its lane while claimed');
      await dispatch.end(claim);
      const again = await dispatch.claim(places, 1);
      assert.deepEqual(
        again.map((c) => c.deliveryId),
        [item.deliveryId],
      );
    }));

  it('a claim taken up after its lease ran out is not sent: its delivery was handed out again', () =>
    withEnvironment(async (env, receiver, apps) => {
      const { dispatch } = await schedulerByHand(env, apps, { WEBHOOKS_JOB_LOCK_MS: '1000' });
      const item = { deliveryId: randomUUID(), subscriptionId: randomUUID(), tenantId: 't' };
      const places = { first: 1, retry: 1 };
      assert.ok(await dispatch.submit([item], 'first'));
      const [stale] = await dispatch.claim(places, 1);
      let again: ClaimedDelivery[] = [];
      // Its lease runs out unrenewed, and a later claim hands the delivery out again.
      await waitUntil(async () => (again = await dispatch.claim(places, 1)).length > 0);
      assert.equal(again[0].deliveryId, item.deliveryId);
      assert.equal(await dispatch.begin(stale), false, 'the stale claim is refused');
      assert.equal(await dispatch.begin(again[0]), true);
    }));

  it("a claim an earlier version left behind when its worker died is handed out again, and its endpoint's place freed", () =>
    withEnvironment(async (env, receiver, apps) => {
      const { app, dispatch } = await schedulerByHand(env, apps);
      const redis = queueOf(app).client;
      const base = queueOf(app).toKey('dispatch:');
      const [did, sub, owner] = [randomUUID(), randomUUID(), randomUUID()];
      // Its record then: state, the claiming process, ':', a number; its lease expired a moment ago.
      const expired = Date.now() - 1;
      await redis
        .multi()
        .sadd(`${base}tracked`, did)
        .hset(`${base}claims`, did, `h${owner}:7`)
        .zadd(`${base}leases`, expired, `f${sub}${did}t`)
        .zadd(`${base}inflight:${sub}`, expired, did)
        .hset(`${base}owned`, `${owner}f`, 1)
        .exec();
      const [claim] = await dispatch.claim({ first: 1, retry: 1 }, 1);
      assert.deepEqual([claim.deliveryId, claim.subscriptionId, claim.tenantId], [did, sub, 't']);
      assert.deepEqual(await redis.zrange(`${base}inflight:${sub}`, 0, -1), [did], 'only the new claim holds a place');
      assert.equal(await redis.hget(`${base}owned`, `${owner}f`), null, 'the dead process holds none');
    }));

  it('one claim round shares its places over tenants first, then over a tenant\'s endpoints', () =>
    withEnvironment(async (env, receiver, apps) => {
      const { dispatch } = await schedulerByHand(env, apps);
      const [a1, a2, b] = [randomUUID(), randomUUID(), randomUUID()];
      const items = (subscriptionId: string, tenantId: string, count: number) =>
        Array.from({ length: count }, () => ({ deliveryId: randomUUID(), subscriptionId, tenantId }));
      assert.ok(await dispatch.submit([...items(a1, 'a', 20), ...items(a2, 'a', 20), ...items(b, 'b', 1)], 'first'));
      const round = await dispatch.claim({ first: 100, retry: 1 }, 10);
      const taken = (sub: string) => round.filter((c) => c.subscriptionId === sub).length;
      assert.equal(round.length, 10);
      assert.equal(taken(b), 1, 'the other tenant had its turn');
      assert.ok(Math.abs(taken(a1) - taken(a2)) <= 1, `the tenant's endpoints shared evenly: ${taken(a1)} and ${taken(a2)}`);
      const next = await dispatch.claim({ first: 100, retry: 1 }, 10);
      assert.equal(next.length, 10, 'the next round takes all it may');
    }));

  it('a worker process is woken by deliveries another process hands over, not by its poll', () =>
    withEnvironment(async (env, receiver, apps) => {
      const api = await startHookline(env, { ROLE: 'api' });
      apps.push(api);
      apps.push(await startHookline(env, { ROLE: 'worker', WEBHOOKS_WORKER_POLL_MS: '60000' }));
      await api.api.subscribe({ webhookUri: receiver.url('/woken'), webhooks: ['order.created'] }, 't');
      for (let i = 1; i <= 3; i++) {
        await api.api.publish({ webhookName: 'order.created', data: { i } }, 't');
        await receiver.waitForRequests('/woken', i, 5_000);
      }
    }));

  it("a tenant's backlog does not delay another tenant's fresh events", () =>
    withEnvironment(async (env, receiver, apps) => {
      const app = await startHookline(env, { WEBHOOKS_WORKER_CONCURRENCY: '50' });
      apps.push(app);
      receiver.on('/bulk', () => ({ status: 200, delayMs: 50 }));
      await env.query(
        `INSERT INTO webhook_subscriptions (id, tenant_id, webhook_uri, secret, webhooks, headers, is_active, concurrency_stamp)
         SELECT gen_random_uuid(), 'bulk', $1, 'whsec_x', ARRAY['order.*'], '{}', true, 'x' FROM generate_series(1, 20)`,
        [receiver.url('/bulk')],
      );
      await app.api.subscribe({ webhookUri: receiver.url('/fresh'), webhooks: ['order.created'] }, 'fresh');
      // 200 events to 20 endpoints: 4,000 deliveries, about 5 s of work at 40 sends in flight (50 less the retries' share).
      await Promise.all(
        Array.from({ length: 10 }, async (_, w) => {
          for (let i = 0; i < 20; i++) await app.api.publish({ webhookName: 'order.created', data: { w, i } }, 'bulk');
        }),
      );
      await receiver.waitForRequests('/bulk', 100);

      const publishedAt = new Map<string, number>();
      for (let i = 0; i < 10; i++) {
        const before = Date.now();
        publishedAt.set(await app.api.publish({ webhookName: 'order.created', data: { i } }, 'fresh'), before);
      }
      await receiver.waitForRequests('/fresh', 10, 10_000);
      assert.ok((await pendingCount(env, 'bulk')) > 0, 'the backlog was still draining when the fresh events arrived');
      const delays = arrivalDelays(receiver, '/fresh', publishedAt);
      assert.ok(Math.max(...delays) < 1000, `the slowest fresh delivery took ${Math.max(...delays)} ms`);
    }));

  it('holds an endpoint to its concurrency across two worker processes', () =>
    withEnvironment(async (env, receiver, apps, workers) => {
      const api = await startHookline(env, { ROLE: 'api' });
      apps.push(api);
      receiver.on('/capped', () => ({ status: 200, delayMs: 150 }));
      await api.api.subscribe({ webhookUri: receiver.url('/capped'), webhooks: ['order.created'], maxConcurrentSends: 3 }, 't');
      workers.push(...(await Promise.all([1, 2].map(() => HooklineProcess.start(env, { ROLE: 'worker' })))));
      for (let i = 0; i < 30; i++) await api.api.publish({ webhookName: 'order.created', data: { i } }, 't');
      await receiver.waitForRequests('/capped', 30, 20_000);
      assert.equal(receiver.peakConcurrency('/capped'), 3, 'three at once, never more');
      assert.ok(
        workers.every((w) => /Worker sending/.test(w.log)),
        'both workers were running',
      );
    }));

  it('honours a rate limit', () =>
    withEnvironment(async (env, receiver, apps) => {
      // The backlog is all there before a worker starts, so the limit alone paces the sends.
      const api = await startHookline(env, { ROLE: 'api' });
      apps.push(api);
      await api.api.subscribe({ webhookUri: receiver.url('/limited'), webhooks: ['order.created'], rateLimitPerSecond: 20 }, 't');
      for (let i = 0; i < 80; i++) await api.api.publish({ webhookName: 'order.created', data: { i } }, 't');
      apps.push(await startHookline(env, { ROLE: 'worker' }));
      const requests = await receiver.waitForRequests('/limited', 80, 20_000);
      // Paced from the tenth on: the full bucket's burst (a quarter second's worth) goes at once, by design.
      const seconds = (requests[79].receivedAt - requests[9].receivedAt) / 1000;
      const rate = 70 / seconds;
      assert.ok(rate >= 18 && rate <= 22, `achieved ${rate.toFixed(1)}/s against a limit of 20/s`);
    }));

  it('a 429 with Retry-After pauses the whole endpoint (spending no attempt of the others), not its neighbours', () =>
    withEnvironment(async (env, receiver, apps) => {
      const app = await startHookline(env);
      apps.push(app);
      receiver.on('/busy', (_, n) => (n === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
      const busy = await app.api.subscribe(
        { webhookUri: receiver.url('/busy'), webhooks: ['order.created'], maxConcurrentSends: 1 },
        't',
      );
      await app.api.subscribe({ webhookUri: receiver.url('/neighbour'), webhooks: ['order.created'] }, 't');
      await app.api.publish({ webhookName: 'order.created', data: { first: true } }, 't');
      await receiver.waitForRequests('/busy', 1);
      const pausedAt = receiver.requests('/busy')[0].receivedAt;
      await waitUntil(
        async () => (await app.api.get(`/api/webhooks/subscriptions/${busy.id}/health`, 't')).body.pausedUntil !== null,
      );
      for (let i = 0; i < 4; i++) await app.api.publish({ webhookName: 'order.created', data: { i } }, 't');
      await receiver.waitForRequests('/neighbour', 5);
      assert.equal(receiver.requests('/busy').length, 1, 'nothing more went to the paused endpoint meanwhile');

      const requests = await receiver.waitForRequests('/busy', 6, 15_000);
      assert.ok(
        requests[1].receivedAt - pausedAt >= 1900,
        `the next send came ${requests[1].receivedAt - pausedAt} ms after the 429`,
      );
      await waitUntil(async () => (await pendingCount(env, 't')) === 0);
      const [{ n }] = await env.query<{ n: string }>(
        `SELECT count(*) AS n FROM webhook_send_attempts WHERE webhook_subscription_id = $1`,
        [busy.id],
      );
      assert.equal(Number(n), 6, 'one attempt was refused, each delivery then succeeded once: no attempt spent while paused');
    }));

  it('opens the breaker, holds deliveries without spending attempts, probes half-open, and closes', () =>
    withEnvironment(async (env, receiver, apps) => {
      const cooldownMs = 1500;
      const app = await startHookline(env, {
        WEBHOOKS_BREAKER_MIN_ATTEMPTS: '4',
        WEBHOOKS_BREAKER_FAILURE_PERCENT: '50',
        WEBHOOKS_BREAKER_COOLDOWN_MS: String(cooldownMs),
        WEBHOOKS_MAX_SEND_ATTEMPT_COUNT: '20',
      });
      apps.push(app);
      // Four failures open it; the first probe fails too (it opens again); from the second probe on, all is well.
      receiver.on('/flaky', (_, n) => ({ status: n < 5 ? 500 : 200 }));
      const flaky = await app.api.subscribe(
        { webhookUri: receiver.url('/flaky'), webhooks: ['order.created'], maxConcurrentSends: 1 },
        't',
      );
      for (let i = 0; i < 4; i++) await app.api.publish({ webhookName: 'order.created', data: { i } }, 't');
      await receiver.waitForRequests('/flaky', 4);
      await waitUntil(
        async () => (await app.api.get(`/api/webhooks/subscriptions/${flaky.id}/health`, 't')).body.breaker.state === 'open',
      );
      const health = (await app.api.get(`/api/webhooks/subscriptions/${flaky.id}/health`, 't')).body;
      assert.equal(health.breaker.state, 'open');
      assert.ok(health.recentFailureRate === 1, `recent failure rate ${health.recentFailureRate}`);

      const requests = await receiver.waitForRequests('/flaky', 8, 20_000);
      const gaps = requests.slice(1).map((r, i) => r.receivedAt - requests[i].receivedAt);
      assert.ok(gaps[3] >= cooldownMs - 50, `the first probe came ${gaps[3]} ms after the breaker opened`);
      assert.ok(gaps[4] >= cooldownMs - 50, `the second probe came ${gaps[4]} ms after the failed first one`);
      await waitUntil(async () => (await pendingCount(env, 't')) === 0, { timeoutMs: 20_000 });
      const [{ n }] = await env.query<{ n: string }>(`SELECT count(*) AS n FROM webhook_send_attempts`);
      assert.equal(Number(n), receiver.requests('/flaky').length, 'every attempt is a request: none spent while open');
      const closed = (await app.api.get(`/api/webhooks/subscriptions/${flaky.id}/health`, 't')).body;
      assert.equal(closed.breaker.state, 'closed');
    }));

  it("deleting a subscription drops its endpoint's limits, pause and window from the scheduler; another tenant cannot", () =>
    withEnvironment(async (env, receiver, apps) => {
      const app = await startHookline(env);
      apps.push(app);
      receiver.on('/gone', () => ({ status: 429, headers: { 'retry-after': '60' } }));
      const gone = await app.api.subscribe(
        { webhookUri: receiver.url('/gone'), webhooks: ['order.created'], maxConcurrentSends: 3, rateLimitPerSecond: 10 },
        't',
      );
      await app.api.publish({ webhookName: 'order.created', data: { n: 1 } }, 't');
      const dispatch = app.app.get(DeliveryDispatch);
      await waitUntil(async () => (await dispatch.endpointStatus(gone.id)).pausedUntil !== null);
      const kept = async () => {
        const { concurrency, ratePerSecond, recentAttempts, pausedUntil } = await dispatch.endpointStatus(gone.id);
        return { concurrency, ratePerSecond, recentAttempts, paused: pausedUntil !== null };
      };
      const held = { concurrency: 3, ratePerSecond: 10, recentAttempts: 1, paused: true };
      assert.deepEqual(await kept(), held);

      const theirs = await app.api.post('/api/webhooks/subscriptions/delete-many', { ids: [gone.id] }, 'other');
      assert.equal(theirs.body.deletedCount, 0);
      assert.deepEqual(await kept(), held, "another tenant's delete leaves it alone");

      assert.equal((await app.api.delete(`/api/webhooks/subscriptions/${gone.id}`, 't')).status, 204);
      const forgotten = await dispatch.endpointStatus(gone.id);
      assert.equal(forgotten.pausedUntil, null);
      assert.equal(forgotten.ratePerSecond, null);
      assert.equal(forgotten.recentAttempts, 0);
      assert.notEqual(forgotten.concurrency, 3, 'the default cap again');
      assert.equal((await dispatch.counts()).endpoints.paused, 0);
    }));

  it("a killed worker's leases expire: its endpoint gets its places back and its deliveries are sent", () =>
    withEnvironment(async (env, receiver, apps, workers) => {
      const api = await startHookline(env, { ROLE: 'api' });
      apps.push(api);
      let delayMs = 60_000;
      receiver.on('/leased', () => ({ status: 200, delayMs }));
      const leased = await api.api.subscribe(
        { webhookUri: receiver.url('/leased'), webhooks: ['order.created'], maxConcurrentSends: 2 },
        't',
      );
      const lease = { WEBHOOKS_JOB_LOCK_MS: '2000' };
      const doomed = await HooklineProcess.start(env, { ROLE: 'worker', ...lease });
      workers.push(doomed);
      for (let i = 0; i < 6; i++) await api.api.publish({ webhookName: 'order.created', data: { i } }, 't');
      await receiver.waitForRequests('/leased', 2);
      const queue = queueOf(api);
      const cutOff = (await queue.getActive()).filter((job) => job.name === WEBHOOK_SENDER_JOB).map((job) => job.data);
      assert.equal(
        cutOff.flatMap((data) => data.claims).length,
        2,
        'the two hanging sends are WebhookSenderJobs running in the doomed worker',
      );
      await doomed.kill('SIGKILL');
      delayMs = 0;

      const dispatch = api.app.get(DeliveryDispatch);
      assert.equal((await dispatch.endpointStatus(leased.id)).inFlight, 2, 'the dead worker still holds both places');
      apps.push(await startHookline(env, { ROLE: 'worker', ...lease, WEBHOOKS_SHUTDOWN_GRACE_MS: '0' }));
      await waitUntil(async () => (await pendingCount(env, 't')) === 0, { timeoutMs: 15_000 });
      const delivered = new Set(receiver.requests('/leased').map((r) => r.headers['webhook-id']));
      assert.equal(delivered.size, 6, 'every delivery was sent, the two cut off ones again');
      assert.equal((await dispatch.endpointStatus(leased.id)).inFlight, 0);

      // The dead worker's jobs run again (as Bull would a job left waiting, or a stalled one): their leases are
      // over, so they send nothing and free no place they do not hold.
      const ran: string[] = [];
      const worker = queueOf(apps[1]);
      worker.on('completed', (job: Job) => ran.push(String(job.id)));
      const copies = await queue.addBulk(
        cutOff.map((data) => ({ name: WEBHOOK_SENDER_JOB, data, opts: { removeOnComplete: true } })),
      );
      await waitUntil(() => copies.every((copy) => ran.includes(String(copy.id))));
      assert.equal(receiver.requests('/leased').length, 8, 'the copies sent nothing');
      assert.deepEqual(await dispatch.counts().then((c) => [c.waiting, c.inFlight]), [0, 0]);

      // The endpoint has both its places, and no more: two sends at once, the next two waiting for them.
      delayMs = 1_000;
      for (let i = 0; i < 4; i++) await api.api.publish({ webhookName: 'order.created', data: { i } }, 't');
      await waitUntil(async () => {
        const status = await dispatch.endpointStatus(leased.id);
        return receiver.openRequests('/leased') === 2 && status.inFlight === 2 && status.backlog === 2;
      });
      await waitUntil(async () => (await pendingCount(env, 't')) === 0, { timeoutMs: 15_000 });
      assert.equal(receiver.requests('/leased').length, 12);
      assert.equal(receiver.peakConcurrency('/leased'), 2, 'never more than its cap at once');
    }));
});
