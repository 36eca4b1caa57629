import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RunningHookline, ScratchEnvironment, startHookline } from './support/hookline';
import { TcpProxy } from './support/tcp-proxy';
import { waitUntil } from './support/wait';

const SUBSCRIPTIONS = '/api/webhooks/subscriptions';
const LIMIT = 5;

/**
 * WEBHOOKS_RATE_LIMIT_*: each credential's requests are counted in Redis, so two processes share one budget;
 * past it, 429 with Retry-After. Redis here is reached through a proxy the test can cut.
 */
describe('rate limits on the API, per credential', () => {
  const env = new ScratchEnvironment();
  let redis: TcpProxy;
  let apps: RunningHookline[] = [];

  before(async () => {
    redis = await TcpProxy.start(6379);
    const settings = {
      REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      WEBHOOKS_RATE_LIMIT_REQUESTS: String(LIMIT),
      WEBHOOKS_RATE_LIMIT_WINDOW_SECONDS: '60',
    };
    // Two instances of the service on one database and one Redis, as two processes would be.
    apps = [await startHookline(env, settings), await startHookline(env, settings)];
  });
  after(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await redis?.close();
    await env.drop();
  });

  it('counts a credential across processes, answers 429 with Retry-After past the limit, and keeps other credentials apart', async () => {
    const [a, b] = apps.map((app) => app.api);
    // Request 1 of the admin key: a tenant key, whose budget is its own.
    const created = await a.request('POST', '/api/webhooks/api-keys', {
      body: { name: 'tenant key', permissions: ['Webhooks.Subscriptions', 'Webhooks.Publish'] },
      tenant: 'acme',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const statuses: number[] = [];
    for (let i = 1; i < LIMIT; i++) statuses.push((await (i % 2 ? b : a).get(SUBSCRIPTIONS)).status);
    assert.deepEqual(statuses, [200, 200, 200, 200]);
    const ok = await a.get(SUBSCRIPTIONS);
    assert.equal(ok.status, 429, 'the 6th request, whichever process takes it');
    const limited = await b.get(SUBSCRIPTIONS);
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'TooManyRequests');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);

    const tenantKey = a.as(created.body.key);
    assert.equal((await tenantKey.get(SUBSCRIPTIONS)).status, 200, 'another credential has its own budget');
    // Publishing is the data path: not counted, so a limited credential still publishes.
    const published = await a.post('/api/webhooks/publish', { webhookName: 'order.created', data: { n: 1 } }, 'acme');
    assert.equal(published.status, 202, JSON.stringify(published.body));
    assert.ok((await env.redisKeys()).some((k) => k.startsWith(`${env.queuePrefix}:rate-limit:`)));
  });

  it('lets requests through, unlimited, while Redis does not answer, and limits again once it is back', async () => {
    const { api } = apps[0];
    await redis.cut();
    try {
      assert.equal((await api.get(SUBSCRIPTIONS)).status, 200, 'a limited credential is let through: the count cannot be read');
      assert.equal((await api.as(null).get(SUBSCRIPTIONS)).status, 401, 'authentication still applies');
    } finally {
      await redis.resume();
    }
    await waitUntil(async () => (await api.get(SUBSCRIPTIONS)).status === 429, { timeoutMs: 20_000 });
    await waitUntil(async () => (await api.get('/health/ready')).status === 200, { timeoutMs: 20_000 });
  });
});
