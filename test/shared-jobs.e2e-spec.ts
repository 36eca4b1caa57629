import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Job } from 'bull';
import { DeliverySweeper, WebhookDeliveryQueue, WebhookSenderJob, WebhookSenderJobData } from '@hookline/webhooks';
import { hooklineFixture } from './support/hookline';
import { waitUntil } from './support/wait';

interface DeliveryRow {
  id: string;
  state: string;
  attempt_count: number;
  queue_job_id: string | null;
  path: string;
}

/**
 * Deliveries published together share queue jobs (WEBHOOKS_DELIVERIES_PER_JOB, 50 by default). With the API
 * role no worker consumes the queue: the test takes the real jobs from Redis and runs them itself, so it
 * can look at the queue and the rows between runs.
 */
describe('shared queue jobs', () => {
  const t = hooklineFixture({ ROLE: 'api' });
  const queue = () => t.hookline.app.get(WebhookDeliveryQueue);
  const run = (job: Job<WebhookSenderJobData>) => t.hookline.app.get(WebhookSenderJob).execute(job);

  /** `count` subscriptions of the tenant, each to its own receiver path `/<tenant>/<i>`, then one publish. */
  async function publishToMany(tenant: string, count: number): Promise<DeliveryRow[]> {
    await t.env.query(
      `INSERT INTO webhook_subscriptions (id, tenant_id, webhook_uri, secret, webhooks, headers, is_active, concurrency_stamp)
       SELECT gen_random_uuid(), $1, $2 || i, 'whsec_x', ARRAY['order.created'], '{}', true, 'x'
       FROM generate_series(1, $3::int) AS i`,
      [tenant, t.receiver.url(`/${tenant}/`), count],
    );
    const eventId = await t.api.publish({ webhookName: 'order.created', data: { tenant } }, tenant);
    return deliveriesOf(eventId);
  }

  const deliveriesOf = (eventId: string) =>
    t.env.query<DeliveryRow>(
      `SELECT d.id, d.state, d.attempt_count, d.queue_job_id, substring(s.webhook_uri from '/[^/]+/[^/]+$') AS path
       FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.webhook_subscription_id
       WHERE d.webhook_event_id = $1 ORDER BY d.id`,
      [eventId],
    );

  const jobsCarrying = async (rows: DeliveryRow[]) => {
    const jobIds = [...new Set(rows.map((r) => r.queue_job_id!))];
    return Promise.all(jobIds.map(async (id) => (await queue().queue.getJob(id))!));
  };

  it('carries up to 50 deliveries per job; each job sends what it carries once, a failure retries in a job of its own', async () => {
    const rows = await publishToMany('share', 120);
    assert.equal(rows.length, 120);
    const sizes = new Map<string | null, number>();
    rows.forEach((r) => sizes.set(r.queue_job_id, (sizes.get(r.queue_job_id) ?? 0) + 1));
    assert.ok(!sizes.has(null), 'every delivery is in a shared job');
    assert.deepEqual(
      [...sizes.values()].sort((a, b) => a - b),
      [20, 50, 50],
    );

    const jobs = await jobsCarrying(rows);
    for (const job of jobs) {
      assert.ok(job, 'the shared job is in Redis');
      const carried = (job.data as { deliveryIds: string[] }).deliveryIds;
      assert.deepEqual(
        carried.sort(),
        rows
          .filter((r) => r.queue_job_id === job.id)
          .map((r) => r.id)
          .sort(),
      );
    }

    const failing = rows[7];
    t.receiver.on(failing.path, [500, 200]);
    const outcomes = [];
    for (const job of jobs) outcomes.push(await run(job));
    const expected = jobs.map((job) => {
      const size = sizes.get(String(job.id))!;
      return job.id === failing.queue_job_id ? `retry 1, succeeded ${size - 1}` : `succeeded ${size}`;
    });
    assert.deepEqual(outcomes.sort(), expected.sort());

    for (const r of rows) assert.equal(t.receiver.requests(r.path).length, 1, `${r.path} was sent once`);
    const after = new Map((await deliveriesOf(await eventOf(failing.id))).map((r) => [r.id, r]));
    for (const r of rows) {
      const row = after.get(r.id)!;
      assert.equal(row.queue_job_id, null, 'after its attempt a delivery is in no shared job');
      assert.equal(row.state, r.id === failing.id ? 'pending' : 'succeeded');
      assert.equal(row.attempt_count, 1);
    }
    // The retry is a delayed job of its own (id = delivery id), which sends it again.
    const retry = (await queue().queue.getJob(failing.id))!;
    assert.ok(retry, 'the failed delivery has a job of its own');
    assert.deepEqual(retry.data, { deliveryId: failing.id });
    assert.equal(await retry.isDelayed(), true);
    assert.equal(await run(retry), 'succeeded');
    assert.equal(t.receiver.requests(failing.path).length, 2);

    // Run again (Bull re-runs a job whose worker died), the shared jobs send nothing: nothing is pending in them.
    for (const job of jobs)
      assert.deepEqual(await run(job), `skipped ${(job.data as { deliveryIds: string[] }).deliveryIds.length}`);
    for (const r of rows) assert.equal(t.receiver.requests(r.path).length, r.id === failing.id ? 2 : 1);
  });

  it('after Redis lost the shared jobs, the sweeper gives each delivery a job of its own and the old job sends none', async () => {
    const rows = await publishToMany('swept', 60);
    const jobs = await jobsCarrying(rows);
    assert.equal(jobs.length, 2);
    const sweeper = t.hookline.app.get(DeliverySweeper);
    const farFuture = new Date(Date.now() + 24 * 3600 * 1000); // every pending delivery is past the grace period
    assert.equal(await sweeper.sweep(farFuture), 0, 'deliveries whose shared job is queued are left alone');

    await t.env.flushRedis();
    assert.equal(await sweeper.sweep(farFuture), 60);
    const swept = await deliveriesOf(await eventOf(rows[0].id));
    assert.ok(swept.every((r) => r.queue_job_id === null && r.state === 'pending'));

    // The lost job turning up again after all (an old copy of Redis, say) sends nothing it no longer carries.
    for (const job of jobs) assert.equal(await run(job), `skipped ${(job.data as { deliveryIds: string[] }).deliveryIds.length}`);
    assert.equal(t.receiver.requests().filter((r) => r.path.startsWith('/swept/')).length, 0);

    for (const r of rows) await run((await queue().queue.getJob(r.id))!);
    for (const r of rows) assert.equal(t.receiver.requests(r.path).length, 1, `${r.path} was sent once`);
  });

  const eventOf = async (deliveryId: string) =>
    (
      await t.env.query<{ webhook_event_id: string }>('SELECT webhook_event_id FROM webhook_deliveries WHERE id = $1', [
        deliveryId,
      ])
    )[0].webhook_event_id;
});

describe('shared queue jobs with one send slot', () => {
  const t = hooklineFixture({ ROLE: 'api', WEBHOOKS_WORKER_CONCURRENCY: '1' });

  it('signs each delivery when it gets its slot, so one that waited behind a slow receiver is not sent stale', async () => {
    t.receiver.on('/slot/slow', () => ({ status: 200, delayMs: 2500 }));
    for (const path of ['/slot/slow', '/slot/next'])
      await t.api.subscribe({ webhookUri: t.receiver.url(path), webhooks: ['order.created'] }, 'slot');
    await t.api.publish({ webhookName: 'order.created', data: { slot: true } }, 'slot');
    const [{ queue_job_id: jobId }] = await t.env.query<{ queue_job_id: string }>(
      `SELECT DISTINCT queue_job_id FROM webhook_deliveries WHERE tenant_id = 'slot'`,
    );
    const job = (await t.hookline.app.get(WebhookDeliveryQueue).queue.getJob(jobId))!;
    assert.equal(await t.hookline.app.get(WebhookSenderJob).execute(job), 'succeeded 2');

    const requests = t.receiver.requests().filter((r) => r.path.startsWith('/slot/'));
    assert.equal(requests.length, 2);
    // The second delivery waited about 2.5 s for the only slot; its signature is from when it was sent.
    for (const r of requests) {
      const signedAgo = r.receivedAt / 1000 - Number(r.headers['webhook-timestamp']);
      assert.ok(signedAgo < 1.5, `${r.path} was signed ${signedAgo.toFixed(1)} s before it arrived`);
    }
  });

  it('reads a delivery that waited over a second for its slot again, so it is not sent once its subscription is off', async () => {
    const subscriptionOf = new Map<string, string>();
    for (const path of ['/stale/a', '/stale/b']) {
      t.receiver.on(path, () => ({ status: 200, delayMs: 2000 }));
      const { id } = await t.api.subscribe({ webhookUri: t.receiver.url(path), webhooks: ['order.created'] }, 'stale');
      subscriptionOf.set(path, id);
    }
    await t.api.publish({ webhookName: 'order.created', data: { stale: true } }, 'stale');
    const [{ queue_job_id: jobId }] = await t.env.query<{ queue_job_id: string }>(
      `SELECT DISTINCT queue_job_id FROM webhook_deliveries WHERE tenant_id = 'stale'`,
    );
    const job = (await t.hookline.app.get(WebhookDeliveryQueue).queue.getJob(jobId))!;
    const ran = t.hookline.app.get(WebhookSenderJob).execute(job);

    // One delivery is being sent; the other has read its context ahead and waits for the only slot.
    const stale = () => t.receiver.requests().filter((r) => r.path.startsWith('/stale/'));
    await waitUntil(() => stale().length === 1);
    const waiting = stale()[0].path === '/stale/a' ? '/stale/b' : '/stale/a';
    const { status } = await t.api.post(`/api/webhooks/subscriptions/${subscriptionOf.get(waiting)}/deactivate`, {}, 'stale');
    assert.equal(status, 200);

    assert.equal(await ran, 'skipped 1, succeeded 1');
    assert.deepEqual(
      stale().map((r) => r.path),
      [stale()[0].path],
      'the delivery of the subscription switched off was not sent',
    );
    const states = await t.env.query<{ state: string }>(
      `SELECT d.state FROM webhook_deliveries d WHERE d.webhook_subscription_id = $1`,
      [subscriptionOf.get(waiting)],
    );
    assert.deepEqual(states, [{ state: 'abandoned' }]);
  });
});
