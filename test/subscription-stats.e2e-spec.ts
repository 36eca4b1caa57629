import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiErrorBody, hooklineFixture } from './support/hookline';
import { closedPort } from './support/receiver';
import { waitUntil } from './support/wait';

const SUBSCRIPTIONS = '/api/webhooks/subscriptions';

/** percentile_cont: linear interpolation between the closest ranks. */
function percentileCont(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = fraction * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

const closeTo = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual} != ${expected}`);

/** Stats and diagnose (issue 4): the figures agree with the attempts the test made, counted in the database. */
describe('subscription stats and diagnose', () => {
  // Two attempts per delivery; five failures in a row deactivate.
  const t = hooklineFixture({ WEBHOOKS_MAX_SEND_ATTEMPT_COUNT: '2', WEBHOOKS_MAX_CONSECUTIVE_FAILURES: '5' });

  const settled = (tenant: string) =>
    waitUntil(
      async () => {
        const [{ n }] = await t.env.query<{ n: string }>(
          `SELECT count(*) AS n FROM webhook_deliveries WHERE tenant_id = $1 AND state = 'pending'`,
          [tenant],
        );
        return Number(n) === 0;
      },
      { timeoutMs: 30_000, message: () => `deliveries of ${tenant} still pending` },
    );

  /** What the database holds for the tenant (or one subscription), counted here the plain way. */
  async function countedInDb(tenant: string, subscriptionId?: string) {
    const sub = subscriptionId ? 'AND webhook_subscription_id = $2' : '';
    const params = subscriptionId ? [tenant, subscriptionId] : [tenant];
    const deliveries = await t.env.query<{ state: string; webhook_event_id: string }>(
      `SELECT state, webhook_event_id FROM webhook_deliveries WHERE tenant_id = $1 ${sub}`,
      params,
    );
    const attempts = await t.env.query<{ succeeded: boolean; duration_ms: number }>(
      `SELECT succeeded, duration_ms FROM webhook_send_attempts WHERE tenant_id = $1 ${sub}`,
      params,
    );
    const events = subscriptionId
      ? new Set(deliveries.map((d) => d.webhook_event_id)).size
      : Number(
          (await t.env.query<{ n: string }>('SELECT count(*) AS n FROM webhook_events WHERE tenant_id = $1', [tenant]))[0].n,
        );
    const durations = attempts.map((a) => a.duration_ms);
    return {
      events,
      deliveries: deliveries.length,
      succeeded: deliveries.filter((d) => d.state === 'succeeded').length,
      failed: deliveries.filter((d) => d.state === 'failed' || d.state === 'abandoned').length,
      attempts: attempts.length,
      failedAttempts: attempts.filter((a) => !a.succeeded).length,
      avg: durations.reduce((a, b) => a + b, 0) / durations.length,
      p95: percentileCont(durations, 0.95),
    };
  }

  it('tenant and subscription stats agree with the events, deliveries and attempts in the database', async () => {
    t.receiver.on('/stats-bad', [500]);
    t.receiver.on('/stats-ok', (_, n) => ({ status: 200, delayMs: (n % 3) * 20 }));
    const ok = await t.api.subscribe({ webhookUri: t.receiver.url('/stats-ok'), webhooks: ['order.*'] }, 'stats');
    const bad = await t.api.subscribe({ webhookUri: t.receiver.url('/stats-bad'), webhooks: ['order.created'] }, 'stats');
    for (let i = 0; i < 2; i++) await t.api.publish({ webhookName: 'order.created', data: { i } }, 'stats');
    await t.api.publish({ webhookName: 'order.paid', data: {} }, 'stats');
    await settled('stats');

    const db = await countedInDb('stats');
    assert.equal(db.attempts, 3 + 4, 'the test made 3 successful and 4 failed attempts');
    const { status, body } = await t.api.get('/api/webhooks/stats?hours=1', 'stats');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.hours, 1);
    assert.deepEqual(
      [body.events, body.deliveries, body.succeeded, body.failed, body.pending, body.attempts, body.failedAttempts],
      [db.events, db.deliveries, db.succeeded, db.failed, 0, db.attempts, db.failedAttempts],
    );
    closeTo(body.successRate, db.succeeded / (db.succeeded + db.failed), 'successRate');
    closeTo(body.attemptFailureRate, db.failedAttempts / db.attempts, 'attemptFailureRate');
    closeTo(body.avgResponseTimeMs, db.avg, 'avgResponseTimeMs');
    closeTo(body.p95ResponseTimeMs, db.p95, 'p95ResponseTimeMs');

    for (const s of [ok, bad]) {
      const one = await countedInDb('stats', s.id);
      const stats = (await t.api.get(`${SUBSCRIPTIONS}/${s.id}/stats`, 'stats')).body;
      assert.equal(stats.hours, 24);
      assert.deepEqual(
        [stats.events, stats.deliveries, stats.succeeded, stats.failed, stats.attempts, stats.failedAttempts],
        [one.events, one.deliveries, one.succeeded, one.failed, one.attempts, one.failedAttempts],
      );
      closeTo(stats.p95ResponseTimeMs, one.p95, 'subscription p95');
    }
    assert.equal((await t.api.get(`${SUBSCRIPTIONS}/${bad.id}/stats`, 'stats')).body.successRate, 0);

    // Nothing of it shows for another tenant or the host.
    for (const tenant of ['quiet', undefined]) {
      const other = (await t.api.get('/api/webhooks/stats', tenant)).body;
      assert.deepEqual(
        [other.events, other.deliveries, other.attempts, other.successRate, other.p95ResponseTimeMs],
        [0, 0, 0, null, null],
      );
      assert.equal((await t.api.get(`${SUBSCRIPTIONS}/${ok.id}/stats`, tenant)).status, 404);
      assert.equal((await t.api.get(`${SUBSCRIPTIONS}/${ok.id}/diagnose`, tenant)).status, 404);
    }
  });

  it('diagnose: a healthy endpoint, a deactivated one, an unreachable one and a slow one', async () => {
    t.receiver.on('/diag-bad', [500]);
    t.receiver.on('/diag-slow', () => ({ status: 200, delayMs: 900 }));
    const healthy = await t.api.subscribe({ webhookUri: t.receiver.url('/diag-ok'), webhooks: ['customer.created'] }, 'diag');
    const failing = await t.api.subscribe({ webhookUri: t.receiver.url('/diag-bad'), webhooks: ['customer.created'] }, 'diag');
    const slow = await t.api.subscribe(
      { webhookUri: t.receiver.url('/diag-slow'), webhooks: ['customer.created'], timeoutDuration: 1 },
      'diag',
    );
    const unreachable = await t.api.subscribe(
      { webhookUri: `http://127.0.0.1:${await closedPort()}/x`, webhooks: ['invoice.finalized'] },
      'diag',
    );
    for (let i = 0; i < 3; i++) await t.api.publish({ webhookName: 'customer.created', data: { i } }, 'diag');
    await settled('diag');

    const diagnose = async (id: string) => {
      const { status, body } = await t.api.get(`${SUBSCRIPTIONS}/${id}/diagnose`, 'diag');
      assert.equal(status, 200, JSON.stringify(body));
      return body;
    };

    const h = await diagnose(healthy.id);
    const hDb = await countedInDb('diag', healthy.id);
    assert.equal(h.reachability.reachable, true);
    assert.equal(h.recent.attempts, hDb.attempts);
    assert.equal(h.recent.failedAttempts, 0);
    assert.equal(h.recent.attemptFailureRate, 0);
    closeTo(h.recent.avgResponseTimeMs, hDb.avg, 'avg');
    assert.deepEqual(h.recommendations, ['No problems found.']);

    // Three deliveries of two attempts each to an endpoint that always fails: the fifth failure deactivates.
    const f = await diagnose(failing.id);
    const fDb = await countedInDb('diag', failing.id);
    assert.equal(f.isActive, false);
    // Deliveries run in parallel, so an attempt in flight when the fifth failure deactivated it may add a sixth.
    assert.ok(f.consecutiveFailureCount >= 5, `consecutive failures ${f.consecutiveFailureCount}`);
    assert.equal(f.consecutiveFailureCount, fDb.attempts, 'every attempt of it failed, in a row');
    assert.match(f.deactivationReason, /\d+ consecutive failed attempts \(limit 5\)/);
    assert.ok(f.deactivatedAt);
    assert.equal(f.recent.attempts, fDb.attempts);
    assert.equal(f.recent.failedAttempts, fDb.attempts);
    assert.equal(f.recent.attemptFailureRate, 1);
    assert.equal(f.lastFailedAttempt.responseStatusCode, 500);
    assert.match(
      f.recommendations[0],
      /^Deactivated at .*consecutive failed attempts \(limit 5\).*POST \/api\/webhooks\/subscriptions\/.*\/activate/,
    );
    assert.ok(f.recommendations.some((r: string) => /failed \(100%\).*HTTP 500/.test(r)));

    const u = await diagnose(unreachable.id);
    assert.equal(u.reachability.reachable, false);
    assert.match(u.reachability.error, /ECONNREFUSED/);
    assert.match(u.recommendations[0], /^Unreachable: .*ECONNREFUSED/);
    assert.equal(u.recent.attempts, 0);

    // Everything has settled, so any request from here on would be diagnose's own.
    const slowRequests = t.receiver.requests('/diag-slow').length;
    const s = await diagnose(slow.id);
    assert.ok(s.recent.p95ResponseTimeMs >= 800, `p95 ${s.recent.p95ResponseTimeMs}`);
    assert.ok(s.recommendations.some((r: string) => /^Answers slowly: p95 over .* close to the timeout of 1 s/.test(r)));
    assert.equal(s.reachability.reachable, true);
    assert.equal(t.receiver.requests('/diag-slow').length, slowRequests, 'diagnose connects but never POSTs');
  });

  it('hours outside 1..720, or not a number, is a 400 naming hours', async () => {
    const { id } = await t.api.subscribe({ webhookUri: 'https://hours.example.com/', webhooks: ['order.created'] }, 'hours');
    for (const hours of ['0', '721', 'abc', '1.5']) {
      for (const path of ['/api/webhooks/stats', `${SUBSCRIPTIONS}/${id}/stats`]) {
        const { status, body } = await t.api.get<ApiErrorBody>(`${path}?hours=${hours}`, 'hours');
        assert.equal(status, 400, `${path}?hours=${hours}`);
        assert.equal(body.error.details[0].field, 'hours');
      }
    }
    assert.equal((await t.api.get(`${SUBSCRIPTIONS}/${id}/stats?hours=720`, 'hours')).status, 200);
  });
});
