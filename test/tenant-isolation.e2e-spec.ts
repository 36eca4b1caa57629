import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ALL_WEBHOOKS_PERMISSIONS } from '@hookline/webhooks-management';
import { ApiClient, hooklineFixture } from './support/hookline';
import { ApiRoute, webhooksApiRoutes } from './support/routes';
import { waitUntil } from './support/wait';

/** Tenant A's data, which tenant B must never read, change, resend, test or count. */
interface TenantAData {
  subscriptionId: string;
  concurrencyStamp: string;
  eventId: string;
  attemptId: string;
  apiKeyId: string;
}

type Ids = TenantAData;
interface Case {
  /** The body B sends: valid, so that only tenancy can refuse it. */
  body?: (a: Ids) => unknown;
  /** Fills the route's :params with A's ids. */
  id?: (a: Ids) => string;
  /** What B must get. */
  expect: 'not-found' | 'nothing-of-a' | 'zero-affected' | 'host-only' | 'own-data';
}

const sub = (body?: Case['body']): Case => ({ id: (a) => a.subscriptionId, body, expect: 'not-found' });
const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();

/**
 * Every webhooks route, by how tenant B's credential must fare against tenant A's data. A route missing
 * here fails the test: a new route has to say how it keeps tenants apart.
 */
const MATRIX: Record<string, Case> = {
  'GET /api/webhooks/subscriptions': { expect: 'nothing-of-a' },
  'GET /api/webhooks/subscriptions/availables': { expect: 'nothing-of-a' },
  'GET /api/webhooks/subscriptions/:id': sub(),
  'PUT /api/webhooks/subscriptions/:id': sub((a) => ({
    webhookUri: 'https://example.com/taken-over',
    webhooks: ['order.created'],
    concurrencyStamp: a.concurrencyStamp,
  })),
  'DELETE /api/webhooks/subscriptions/:id': sub(),
  'POST /api/webhooks/subscriptions/delete-many': { body: (a) => ({ ids: [a.subscriptionId] }), expect: 'zero-affected' },
  'POST /api/webhooks/subscriptions/:id/activate': sub(() => ({})),
  'POST /api/webhooks/subscriptions/:id/deactivate': sub(() => ({})),
  'POST /api/webhooks/subscriptions/:id/reveal-secret': sub(() => ({})),
  'POST /api/webhooks/subscriptions/:id/rotate-secret': sub(() => ({})),
  'GET /api/webhooks/subscriptions/:id/diagnose': sub(),
  'GET /api/webhooks/subscriptions/:id/health': sub(),
  'GET /api/webhooks/subscriptions/:id/stats': sub(),
  'GET /api/webhooks/subscriptions/:id/timeline': sub(),
  'POST /api/webhooks/subscriptions/:id/replay': sub(() => ({ since: hourAgo() })),
  'POST /api/webhooks/subscriptions/:id/test': sub(() => ({})),
  'GET /api/webhooks/stats': { expect: 'nothing-of-a' },
  'POST /api/webhooks/subscriptions': { expect: 'own-data' },
  'POST /api/webhooks/publish': { expect: 'own-data' },
  'POST /api/webhooks/publish/batch': { expect: 'own-data' },
  'GET /api/webhooks/events': { expect: 'nothing-of-a' },
  'GET /api/webhooks/events/:id': { id: (a) => a.eventId, expect: 'not-found' },
  'POST /api/webhooks/events/:id/expunge': { id: (a) => a.eventId, body: () => ({}), expect: 'not-found' },
  'GET /api/webhooks/send-attempts': { expect: 'nothing-of-a' },
  'GET /api/webhooks/send-attempts/:id': { id: (a) => a.attemptId, expect: 'not-found' },
  'DELETE /api/webhooks/send-attempts/:id': { id: (a) => a.attemptId, expect: 'not-found' },
  'POST /api/webhooks/send-attempts/:id/resend': { id: (a) => a.attemptId, body: () => ({}), expect: 'not-found' },
  'POST /api/webhooks/send-attempts/delete-many': { body: (a) => ({ ids: [a.attemptId] }), expect: 'zero-affected' },
  'POST /api/webhooks/send-attempts/resend-many': { body: (a) => ({ ids: [a.attemptId] }), expect: 'zero-affected' },
  'GET /api/webhooks/api-keys': { expect: 'nothing-of-a' },
  'POST /api/webhooks/api-keys': { expect: 'own-data' },
  'GET /api/webhooks/api-keys/:id': { id: (a) => a.apiKeyId, expect: 'not-found' },
  'DELETE /api/webhooks/api-keys/:id': { id: (a) => a.apiKeyId, expect: 'not-found' },
  'GET /api/webhooks/definitions': { expect: 'nothing-of-a' },
  'GET /api/webhooks/definitions/groups': { expect: 'nothing-of-a' },
  'GET /api/webhooks/asyncapi.json': { expect: 'nothing-of-a' },
  // Stored definitions are the host's: a tenant may not write them at all.
  'POST /api/webhooks/definitions': { body: () => ({ name: 'b.made', groupName: 'orders' }), expect: 'host-only' },
  'PUT /api/webhooks/definitions/:name': {
    id: () => 'order.created',
    body: () => ({ groupName: 'orders' }),
    expect: 'host-only',
  },
  'DELETE /api/webhooks/definitions/:name': { id: () => 'order.created', expect: 'host-only' },
  'POST /api/webhooks/definitions/groups': { body: () => ({ name: 'b-group' }), expect: 'host-only' },
  'PUT /api/webhooks/definitions/groups/:name': { id: () => 'orders', body: () => ({}), expect: 'host-only' },
  'DELETE /api/webhooks/definitions/groups/:name': { id: () => 'orders', expect: 'host-only' },
  // A tenant credential opens portal sessions for its own tenant only.
  'POST /api/webhooks/portal-sessions': { body: () => ({ tenantId: 'tenant-a' }), expect: 'host-only' },
  // Needs one of A's one-time tokens, which only A's host is ever given; covered by the portal session tests.
  'POST /api/webhooks/portal-sessions/exchange': { expect: 'own-data' },
  'GET /api/webhooks/portal-sessions/current': { expect: 'nothing-of-a' },
  'DELETE /api/webhooks/portal-sessions/current': { expect: 'own-data' },
  'GET /api/webhooks/tenants': { expect: 'host-only' },
  'GET /api/webhooks/queue': { expect: 'host-only' },
  // Erasing a tenant is the host's: a tenant may not erase itself or another.
  'DELETE /api/webhooks/tenants/:tenantId': { id: () => 'tenant-a', expect: 'host-only' },
  'GET /api/webhooks/tenants/:tenantId/erasure': { id: () => 'tenant-a', expect: 'host-only' },
};

describe('tenant isolation', () => {
  const f = hooklineFixture();
  const a = {} as TenantAData;
  let tenantB: ApiClient;

  before(async () => {
    const created = await f.api.subscribe({ webhookUri: f.receiver.url('/a'), webhooks: ['order.created'] }, 'tenant-a');
    a.subscriptionId = created.id;
    a.eventId = await f.api.publish({ webhookName: 'order.created', data: { secret: 'of tenant a' } }, 'tenant-a');
    await waitUntil(async () => (await f.env.query(`SELECT 1 FROM webhook_deliveries WHERE state = 'succeeded'`)).length === 1);
    [{ id: a.attemptId }] = await f.env.query<{ id: string }>('SELECT id FROM webhook_send_attempts');
    a.concurrencyStamp = (await f.api.get(`/api/webhooks/subscriptions/${a.subscriptionId}`, 'tenant-a')).body.concurrencyStamp;
    const keyA = await f.api.request('POST', '/api/webhooks/api-keys', {
      tenant: 'tenant-a',
      body: { name: 'a', permissions: ['Webhooks.Publish'] },
    });
    a.apiKeyId = keyA.body.id;
    const keyB = await f.api.request('POST', '/api/webhooks/api-keys', {
      tenant: 'tenant-b',
      body: { name: 'b', permissions: ALL_WEBHOOKS_PERMISSIONS },
    });
    assert.equal(keyB.status, 201, JSON.stringify(keyB.body));
    tenantB = f.api.as(keyB.body.key);
  });

  /** Every row of every table, to show that B changed nothing. */
  async function snapshot(): Promise<string> {
    const tables = await f.env.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    const dump: Record<string, unknown[]> = {};
    for (const { table_name } of tables) dump[table_name] = await f.env.query(`SELECT * FROM "${table_name}" ORDER BY 1`);
    return JSON.stringify(dump);
  }

  it("tenant B's credential never reaches tenant A's data, on any route, and changes nothing", async () => {
    const routes = webhooksApiRoutes(f.hookline.app);
    const unknown = routes.map((r) => `${r.method} ${r.template}`).filter((k) => !MATRIX[k]);
    assert.deepEqual(unknown, [], 'routes missing from the isolation matrix');
    const stale = Object.keys(MATRIX).filter((k) => !routes.some((r) => `${r.method} ${r.template}` === k));
    assert.deepEqual(stale, [], 'matrix entries for routes that do not exist');
    const aIds = [a.subscriptionId, a.eventId, a.attemptId, a.apiKeyId, 'tenant-a'];
    const before = await snapshot();
    const checked: string[] = [];
    for (const route of routes) {
      const key = `${route.method} ${route.template}`;
      const c = MATRIX[key];
      if (c.expect === 'own-data') continue; // creates B's own data; covered by the API tests
      const path = pathFor(route, c, a);
      const sent = c.body?.(a);
      const { status, body } = await tenantB.request(route.method, path, { body: sent });
      const text = JSON.stringify(body ?? '');
      switch (c.expect) {
        case 'not-found':
          assert.equal(status, 404, `${key}: ${text}`);
          break;
        case 'host-only':
          assert.equal(status, 403, `${key}: ${text}`);
          break;
        case 'zero-affected':
          assert.ok(status >= 200 && status < 300, `${key}: ${status} ${text}`);
          assert.ok(
            Object.values(body).every((v) => v === 0),
            `${key} affected A's data: ${text}`,
          );
          break;
        case 'nothing-of-a':
          assert.equal(status, 200, `${key}: ${text}`);
          assertZeroCounts(key, body);
          break;
      }
      // An id B sent may come back in the error message; any other of A's ids is a leak.
      const leaked = aIds.filter((id) => !`${path} ${JSON.stringify(sent ?? '')}`.includes(id) && text.includes(id));
      assert.deepEqual(leaked, [], `${key} leaked A's data: ${text}`);
      checked.push(key);
    }
    assert.equal(await snapshot(), before, 'tenant B changed something');
    assert.ok(checked.length >= 15, `only ${checked.length} routes checked`);
  });
});

function pathFor(route: ApiRoute, c: Case, a: Ids): string {
  return c.id ? route.template.replace(/:[A-Za-z]+/g, c.id(a)) : route.path;
}

/** B has no events, deliveries or attempts: whatever a list or stats answer counts of them must be 0. */
function assertZeroCounts(key: string, body: unknown): void {
  const walk = (value: unknown, name: string) => {
    if (typeof value === 'number' && /^(events|deliveries|succeeded|failed|attempts)$/i.test(name)) {
      assert.equal(value, 0, `${key}: ${name} counts A's data`);
    }
    if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(body, '');
}
