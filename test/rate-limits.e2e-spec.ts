import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch as fetchVia } from 'undici';
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

/**
 * Requests whose credential is refused count against the client's address (with the credentials' limit), so
 * guessing credentials is limited; each test client here has a loopback address of its own.
 */
describe('rate limits on refused credentials, per client address', () => {
  const env = new ScratchEnvironment();
  let apps: RunningHookline[] = [];
  const agents: Agent[] = [];

  before(async () => {
    const settings = { WEBHOOKS_RATE_LIMIT_REQUESTS: String(LIMIT), WEBHOOKS_RATE_LIMIT_WINDOW_SECONDS: '60' };
    apps = [await startHookline(env, settings), await startHookline(env, settings)];
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await Promise.all(apps.map((a) => a.close()));
    await env.drop();
  });

  /** A client that connects from `address`: `call` answers the status, Retry-After and error code. */
  const clientFrom = (address: string) => {
    const agent = new Agent({ localAddress: address });
    agents.push(agent);
    return async (app: RunningHookline, path: string, options: { key?: string; method?: string; body?: unknown } = {}) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
      const response = await fetchVia(`${app.api.baseUrl}${path}`, {
        method: options.method ?? 'GET',
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        dispatcher: agent,
      });
      const body = (await response.json().catch(() => undefined)) as { error?: { code: string } } | undefined;
      return { status: response.status, retryAfter: response.headers.get('retry-after'), code: body?.error?.code };
    };
  };

  it('answers 429 with Retry-After once an address has had its refusals, in every process, even to a valid credential', async () => {
    const [a, b] = apps;
    const guesser = clientFrom('127.0.0.2');
    const valid = a.api.key!;
    const refused = [
      await guesser(a, SUBSCRIPTIONS, { key: 'wrong-key-1' }),
      await guesser(b, SUBSCRIPTIONS),
      await guesser(a, '/api/webhooks/publish', { key: 'wrong-key-2', method: 'POST', body: {} }),
      await guesser(b, '/api/webhooks/portal-sessions/exchange', { method: 'POST', body: { token: 'guess' } }),
      await guesser(a, SUBSCRIPTIONS, { key: 'Basic x' }),
    ];
    assert.deepEqual(
      refused.map((r) => r.status),
      [401, 401, 401, 401, 401],
    );
    for (const [app, options] of [
      [b, { key: 'wrong-key-3' }],
      [a, { key: valid }],
      [b, { key: valid, method: 'POST', body: { webhookName: 'order.created', data: {} } }],
    ] as const) {
      const limited = await guesser(app, SUBSCRIPTIONS, options);
      assert.equal(limited.status, 429, JSON.stringify(options));
      assert.equal(limited.code, 'TooManyRequests');
      const retryAfter = Number(limited.retryAfter);
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.retryAfter}`);
    }
    const exchange = await guesser(a, '/api/webhooks/portal-sessions/exchange', { method: 'POST', body: { token: 'guess' } });
    assert.equal(exchange.status, 429);

    // Another address is not held back, and the valid credential works from it.
    const other = clientFrom('127.0.0.3');
    assert.equal((await other(a, SUBSCRIPTIONS, { key: 'wrong-key-4' })).status, 401);
    assert.equal((await other(b, SUBSCRIPTIONS, { key: valid })).status, 200);
  });
});
