import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hooklineFixture } from './support/hookline';
import { waitUntil } from './support/wait';

const SUBSCRIPTIONS = '/api/webhooks/subscriptions';

/** The routes the console added for its pages: an endpoint's timeline, the host's tenants, the scheduler's figures. */
describe('console API', () => {
  const t = hooklineFixture({ WEBHOOKS_MAX_SEND_ATTEMPT_COUNT: '1' });

  const settled = () =>
    waitUntil(async () => (await t.env.query(`SELECT 1 FROM webhook_deliveries WHERE state = 'pending'`)).length === 0, {
      message: () => 'deliveries still pending',
    });

  it("an endpoint's timeline: every bucket of the window, its attempts and successes, p50 and p95 from the database", async () => {
    const { id } = await t.api.subscribe({ webhookUri: t.receiver.url('/timeline'), webhooks: ['order.created'] }, 'tl');
    t.receiver.on('/timeline', (_, n) => ({ status: n % 3 === 2 ? 500 : 200, delayMs: n * 5 }));
    for (let i = 0; i < 6; i++) await t.api.publish({ webhookName: 'order.created', data: { i } }, 'tl');
    await settled();

    const { status, body } = await t.api.get(`${SUBSCRIPTIONS}/${id}/timeline?hours=24`, 'tl');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.bucketSeconds, 3600);
    assert.ok(body.buckets.length === 24 || body.buckets.length === 25, `${body.buckets.length} hourly buckets`);
    const starts = body.buckets.map((b: { start: string }) => Date.parse(b.start));
    assert.ok(
      starts.every((s: number, i: number) => i === 0 || s - starts[i - 1] === 3_600_000),
      'consecutive hours',
    );
    const used = body.buckets.filter((b: { attempts: number }) => b.attempts > 0);
    const total = used.reduce((n: number, b: { attempts: number }) => n + b.attempts, 0);
    const succeeded = used.reduce((n: number, b: { succeeded: number }) => n + b.succeeded, 0);
    const [db] = await t.env.query<{ n: number; ok: number; p50: number; p95: number }>(
      `SELECT count(*)::int AS n, (count(*) FILTER (WHERE succeeded))::int AS ok,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95
       FROM webhook_send_attempts WHERE webhook_subscription_id = $1`,
      [id],
    );
    assert.equal(total, 6);
    assert.equal(succeeded, db.ok);
    assert.equal(db.ok, 4);
    if (used.length === 1) {
      assert.equal(used[0].p50ResponseTimeMs, db.p50);
      assert.equal(used[0].p95ResponseTimeMs, db.p95);
    }
    const week = (await t.api.get(`${SUBSCRIPTIONS}/${id}/timeline?hours=168`, 'tl')).body;
    assert.equal(week.bucketSeconds, 6 * 3600);
    assert.ok(week.buckets.length >= 28 && week.buckets.length <= 29, `${week.buckets.length} six-hour buckets`);
    assert.equal((await t.api.get(`${SUBSCRIPTIONS}/${id}/timeline?hours=0`, 'tl')).status, 400);
    assert.equal((await t.api.get(`${SUBSCRIPTIONS}/${id}/timeline`, 'other')).status, 404);
  });

  it("the host's tenants: each with its endpoints and the window's events, failed and pending deliveries", async () => {
    await t.api.subscribe({ webhookUri: t.receiver.url('/t1'), webhooks: ['order.created'] }, 'tenant-1');
    await t.api.subscribe({ webhookUri: t.receiver.url('/t1-off'), webhooks: ['order.paid'], isActive: false }, 'tenant-1');
    t.receiver.on('/t2', [500]);
    await t.api.subscribe({ webhookUri: t.receiver.url('/t2'), webhooks: ['order.created'] }, 'tenant-2');
    await t.api.publish({ webhookName: 'order.created', data: {} }, 'tenant-1');
    await t.api.publish({ webhookName: 'order.created', data: {} }, 'tenant-2');
    await t.api.publish({ webhookName: 'customer.created', data: {} }, 'tenant-3');
    await settled();

    const { status, body } = await t.api.get('/api/webhooks/tenants?hours=24&maxResultCount=100');
    assert.equal(status, 200, JSON.stringify(body));
    const byId = Object.fromEntries(body.items.map((x: { tenantId: string }) => [x.tenantId, x]));
    assert.deepEqual(byId['tenant-1'], {
      tenantId: 'tenant-1',
      subscriptions: 2,
      activeSubscriptions: 1,
      events: 1,
      failedDeliveries: 0,
      pendingDeliveries: 0,
    });
    assert.equal(byId['tenant-2'].failedDeliveries, 1);
    assert.equal(byId['tenant-3'].subscriptions, 0, 'a tenant known by its events only');
    assert.equal(byId['tenant-3'].events, 1);
    assert.equal(body.totalCount, body.items.length);
    const page = (await t.api.get('/api/webhooks/tenants?skipCount=1&maxResultCount=1')).body;
    assert.equal(page.items.length, 1);
    assert.equal(page.totalCount, body.totalCount);
    assert.equal(page.items[0].tenantId, body.items[1].tenantId, 'ordered by tenant id');
    assert.equal((await t.api.get('/api/webhooks/tenants', 'tenant-1')).status, 403, 'the host only');
  });

  it("the scheduler's figures, and the dashboard's path", async () => {
    const { status, body } = await t.api.get('/api/webhooks/queue');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.dashboardPath, '/admin/queues');
    for (const figure of ['waiting', 'inFlight', 'retriesScheduled']) {
      assert.equal(typeof body.scheduler[figure], 'number', figure);
    }
    for (const state of ['breakerOpen', 'breakerHalfOpen', 'paused', 'atCapacity']) {
      assert.equal(typeof body.scheduler.endpoints[state], 'number', state);
    }
    assert.equal((await t.api.get('/api/webhooks/queue', 'tenant-1')).status, 403);
  });
});
