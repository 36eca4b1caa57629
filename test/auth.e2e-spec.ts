import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { ALL_WEBHOOKS_PERMISSIONS, WebhooksPermissions, withParents } from '@hookline/webhooks-management';
import { ApiClient, RunningHookline, TEST_ADMIN_API_KEY, hooklineFixture, startHookline } from './support/hookline';
import { webhooksApiRoutes } from './support/routes';
import { waitUntil } from './support/wait';

const JWT_SECRET = 'a-shared-secret-of-the-identity-server-0123';
const ISSUER = 'https://id.example.test';
const AUDIENCE = 'hookline';
const KEYS = '/api/webhooks/api-keys';
const SUBSCRIPTIONS = '/api/webhooks/subscriptions';
/** A body for routes that take one (the guard answers before it is validated). */
const bodyFor = (method: string) => (method === 'GET' || method === 'HEAD' ? undefined : {});
const subscription = { webhookUri: 'https://example.com/hooks', webhooks: ['order.created'] };

const { Subscriptions, SendAttempts, Definitions } = WebhooksPermissions;

/**
 * The contract: the permissions (ABP's names) each route requires, written out so that a weakened one is caught.
 * An empty list: any credential (or, for the exchange, none).
 */
const REQUIRED_PERMISSIONS: Record<string, readonly string[]> = {
  'POST /api/webhooks/publish': [WebhooksPermissions.Publish],
  'POST /api/webhooks/publish/batch': [WebhooksPermissions.Publish],
  'GET /api/webhooks/subscriptions': [Subscriptions.Default],
  'POST /api/webhooks/subscriptions': [Subscriptions.Create],
  'GET /api/webhooks/subscriptions/availables': [Subscriptions.Default],
  'POST /api/webhooks/subscriptions/delete-many': [Subscriptions.Delete],
  'GET /api/webhooks/subscriptions/:id': [Subscriptions.Default],
  'PUT /api/webhooks/subscriptions/:id': [Subscriptions.Update],
  'DELETE /api/webhooks/subscriptions/:id': [Subscriptions.Delete],
  'POST /api/webhooks/subscriptions/:id/activate': [Subscriptions.Update],
  'POST /api/webhooks/subscriptions/:id/deactivate': [Subscriptions.Update],
  'POST /api/webhooks/subscriptions/:id/reveal-secret': [Subscriptions.Update],
  'POST /api/webhooks/subscriptions/:id/rotate-secret': [Subscriptions.Update],
  'GET /api/webhooks/subscriptions/:id/stats': [Subscriptions.Default],
  'GET /api/webhooks/subscriptions/:id/diagnose': [Subscriptions.Default],
  'GET /api/webhooks/subscriptions/:id/timeline': [Subscriptions.Default],
  'GET /api/webhooks/subscriptions/:id/health': [Subscriptions.Default],
  'POST /api/webhooks/subscriptions/:id/test': [Subscriptions.Update],
  'POST /api/webhooks/subscriptions/:id/replay': [SendAttempts.Resend],
  'GET /api/webhooks/send-attempts': [SendAttempts.Default],
  'POST /api/webhooks/send-attempts/delete-many': [SendAttempts.Delete],
  'POST /api/webhooks/send-attempts/resend-many': [SendAttempts.Resend],
  'GET /api/webhooks/send-attempts/:id': [SendAttempts.Default],
  'DELETE /api/webhooks/send-attempts/:id': [SendAttempts.Delete],
  'POST /api/webhooks/send-attempts/:id/resend': [SendAttempts.Resend],
  'GET /api/webhooks/events': [SendAttempts.Default],
  'GET /api/webhooks/events/:id': [SendAttempts.Default],
  'POST /api/webhooks/events/:id/expunge': [SendAttempts.Expunge],
  'GET /api/webhooks/stats': [SendAttempts.Default],
  'GET /api/webhooks/definitions': [Definitions.Default],
  'GET /api/webhooks/asyncapi.json': [Definitions.Default],
  'GET /api/webhooks/definitions/groups': [Definitions.Default],
  'POST /api/webhooks/definitions/groups': [Definitions.Manage],
  'PUT /api/webhooks/definitions/groups/:name': [Definitions.Manage],
  'DELETE /api/webhooks/definitions/groups/:name': [Definitions.Manage],
  'POST /api/webhooks/definitions': [Definitions.Manage],
  'PUT /api/webhooks/definitions/:name': [Definitions.Manage],
  'DELETE /api/webhooks/definitions/:name': [Definitions.Manage],
  'POST /api/webhooks/api-keys': [WebhooksPermissions.ApiKeys],
  'GET /api/webhooks/api-keys': [WebhooksPermissions.ApiKeys],
  'GET /api/webhooks/api-keys/:id': [WebhooksPermissions.ApiKeys],
  'DELETE /api/webhooks/api-keys/:id': [WebhooksPermissions.ApiKeys],
  'GET /api/webhooks/tenants': [Subscriptions.Default, SendAttempts.Default],
  'DELETE /api/webhooks/tenants/:tenantId': [WebhooksPermissions.Tenants.Erase],
  'GET /api/webhooks/tenants/:tenantId/erasure': [WebhooksPermissions.Tenants.Default],
  'GET /api/webhooks/queue': [SendAttempts.Default],
  'POST /api/webhooks/portal-sessions': [WebhooksPermissions.PortalSessions],
  'GET /api/webhooks/portal-sessions/current': [],
  'DELETE /api/webhooks/portal-sessions/current': [],
  'POST /api/webhooks/portal-sessions/exchange': [],
};

describe('authentication and permissions', () => {
  const f = hooklineFixture({ WEBHOOKS_JWT_SECRET: JWT_SECRET, WEBHOOKS_JWT_ISSUER: ISSUER, WEBHOOKS_JWT_AUDIENCE: AUDIENCE });

  /** Creates a key as the admin, acting for `tenant` (undefined: a host key). */
  async function createKey(permissions: readonly string[], tenant?: string, extra: Record<string, unknown> = {}) {
    const { status, body } = await f.api.request('POST', KEYS, { body: { name: 'test key', permissions, ...extra }, tenant });
    assert.equal(status, 201, JSON.stringify(body));
    return body as { id: string; key: string; tenantId: string | null; keyPrefix: string };
  }

  const hs256 = (claims: Record<string, unknown>, { secret = JWT_SECRET, audience = AUDIENCE, expiresIn = '5m' } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(audience)
      .setSubject('user-1')
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(new TextEncoder().encode(secret));

  describe('401', () => {
    it('every webhooks route refuses a request without a credential, with the error shape and WWW-Authenticate', async () => {
      const routes = webhooksApiRoutes(f.hookline.app);
      assert.ok(routes.length >= 8, `found only ${routes.length} routes`);
      for (const route of routes) {
        const response = await fetch(`${f.api.baseUrl}${route.path}`, { method: route.method });
        assert.equal(response.status, 401, `${route.method} ${route.path}`);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer');
        const body = (await response.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'Unauthorized');
        assert.match(body.error.message, /Missing credential/);
      }
    });

    const bad: [string, string][] = [
      ['not Bearer', `Basic ${Buffer.from(`x:${TEST_ADMIN_API_KEY}`).toString('base64')}`],
      ['Bearer without a token', 'Bearer '],
      ['two tokens', `Bearer ${TEST_ADMIN_API_KEY} extra`],
      ['an unknown string', 'Bearer not-a-key-at-all'],
      ['a well-formed unknown key', `Bearer hlk_${'A'.repeat(43)}`],
      ['the admin key with a character changed', `Bearer ${TEST_ADMIN_API_KEY.slice(0, -1)}X`],
    ];
    for (const [name, authorization] of bad) {
      it(`refuses ${name}`, async () => {
        const { status, body } = await f.api.request('GET', SUBSCRIPTIONS + '/availables', {
          key: null,
          headers: { authorization },
        });
        assert.equal(status, 401, JSON.stringify(body));
      });
    }

    it('a revoked key stops working at once; revoking again answers 204, another tenant revoking it 404', async () => {
      const { id, key } = await createKey([WebhooksPermissions.Subscriptions.Default], 'tenant-r');
      assert.equal((await f.api.as(key).get(`${SUBSCRIPTIONS}/${'0'.repeat(8)}-0000-4000-8000-000000000000`)).status, 404);
      assert.equal((await f.api.delete(`${KEYS}/${id}`, 'tenant-other')).status, 404);
      assert.equal((await f.api.delete(`${KEYS}/${id}`, 'tenant-r')).status, 204);
      assert.equal((await f.api.delete(`${KEYS}/${id}`, 'tenant-r')).status, 204);
      assert.equal((await f.api.as(key).get(`${SUBSCRIPTIONS}/${'0'.repeat(8)}-0000-4000-8000-000000000000`)).status, 401);
    });

    it('an expired key answers 401', async () => {
      const { key } = await createKey([WebhooksPermissions.Subscriptions.Default], 'tenant-x', {
        expiresAt: new Date(Date.now() + 1500).toISOString(),
      });
      const probe = () =>
        f.api
          .as(key)
          .request('GET', `${KEYS}`)
          .then((r) => r.status);
      assert.equal(await probe(), 403); // valid, but without Webhooks.ApiKeys
      await waitUntil(async () => (await probe()) === 401, { timeoutMs: 10_000, message: () => 'the key never expired' });
    });
  });

  describe('403', () => {
    it('each route requires the permissions of the contract, and a credential holding just those passes', async () => {
      const routes = webhooksApiRoutes(f.hookline.app);
      assert.deepEqual(
        routes.map((r) => `${r.method} ${r.template}`).sort(),
        Object.keys(REQUIRED_PERMISSIONS).sort(),
        'every route has its permissions written in REQUIRED_PERMISSIONS',
      );
      const keys = new Map<string, string>();
      const keyFor = async (name: string, permissions: readonly string[]) => {
        if (!keys.has(name)) keys.set(name, (await createKey(permissions)).key);
        return keys.get(name)!;
      };
      for (const route of routes) {
        const required = REQUIRED_PERMISSIONS[`${route.method} ${route.template}`];
        if (required.length === 0) continue;
        for (const p of required) {
          // Without p and its children (a child is useless without its parent).
          const without = await keyFor(
            `-${p}`,
            ALL_WEBHOOKS_PERMISSIONS.filter((q) => q !== p && !q.startsWith(`${p}.`)),
          );
          const refused = await f.api.request(route.method, route.path, { key: without, body: bodyFor(route.method) });
          assert.equal(refused.status, 403, `${route.method} ${route.template} without ${p}: ${JSON.stringify(refused.body)}`);
          assert.ok(refused.body.error.message.includes(p), refused.body.error.message);
        }
        const just = await keyFor(required.join(' '), [...new Set(required.flatMap(withParents))]);
        const { status } = await f.api.request(route.method, route.path, { key: just, body: bodyFor(route.method) });
        assert.ok(
          status !== 403 && status !== 401,
          `${route.method} ${route.template} with ${required.join(', ')} alone: ${status}`,
        );
      }
    });

    it('a child permission without its parent is not enough', async () => {
      const { key } = await createKey([WebhooksPermissions.Subscriptions.Create]);
      const { status, body } = await f.api.as(key).post(SUBSCRIPTIONS, subscription);
      assert.equal(status, 403);
      assert.match(body.error.message, /Webhooks\.Subscriptions\b/);
    });

    it('host-only routes refuse tenant credentials and a host acting for a tenant', async () => {
      const hostOnly = webhooksApiRoutes(f.hookline.app).filter((r) => r.hostOnly);
      const tenantKey = (await createKey(ALL_WEBHOOKS_PERMISSIONS, 'tenant-h')).key;
      for (const route of hostOnly) {
        assert.equal(
          (await f.api.request(route.method, route.path, { key: tenantKey, body: bodyFor(route.method) })).status,
          403,
        );
        assert.equal(
          (await f.api.request(route.method, route.path, { tenant: 'tenant-h', body: bodyFor(route.method) })).status,
          403,
        );
      }
    });
  });

  describe('tenants and keys', () => {
    it('a tenant key acts for its own tenant; __tenant naming another tenant is refused', async () => {
      const { key, tenantId } = await createKey(
        [WebhooksPermissions.Subscriptions.Default, WebhooksPermissions.Subscriptions.Create],
        'tenant-a',
      );
      assert.equal(tenantId, 'tenant-a');
      const tenantA = f.api.as(key);
      const created = await tenantA.subscribe(subscription);
      const [row] = await f.env.query<{ tenant_id: string }>('SELECT tenant_id FROM webhook_subscriptions WHERE id = $1', [
        created.id,
      ]);
      assert.equal(row.tenant_id, 'tenant-a');
      assert.equal((await tenantA.get(`${SUBSCRIPTIONS}/${created.id}`, 'tenant-a')).status, 200);
      const before = await f.env.rowCounts();
      const forged = await tenantA.post(SUBSCRIPTIONS, subscription, 'tenant-b');
      assert.equal(forged.status, 403);
      assert.deepEqual(await f.env.rowCounts(), before);
      // The admin acting as tenant-b does not see tenant-a's subscription, nor does the host.
      assert.equal((await f.api.get(`${SUBSCRIPTIONS}/${created.id}`, 'tenant-b')).status, 404);
      assert.equal((await f.api.get(`${SUBSCRIPTIONS}/${created.id}`)).status, 404);
    });

    it('keys are stored as hashes, shown once, listed per tenant, and cannot grant more than their creator holds', async () => {
      const created = await createKey([WebhooksPermissions.ApiKeys, WebhooksPermissions.Publish], 'tenant-k');
      assert.match(created.key, /^hlk_[A-Za-z0-9_-]{43}$/);
      const rows = await f.env.query<Record<string, unknown>>('SELECT * FROM webhook_api_keys WHERE id = $1', [created.id]);
      assert.equal(rows[0].key_hash, createHash('sha256').update(created.key).digest('hex'));
      assert.ok(!JSON.stringify(rows).includes(created.key), 'the key itself is stored');

      const tenantK = f.api.as(created.key);
      const list = await tenantK.get(KEYS);
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.items.map((k: { id: string }) => k.id),
        [created.id],
      );
      assert.ok(!JSON.stringify(list.body).includes(created.key));
      assert.equal(list.body.items[0].key, undefined);
      assert.equal((await f.api.get(`${KEYS}/${created.id}`)).status, 404, 'the host sees only host keys');

      const escalation = await tenantK.post(KEYS, { name: 'more', permissions: [WebhooksPermissions.Subscriptions.Default] });
      assert.equal(escalation.status, 400);
      assert.equal(escalation.body.error.details[0].field, 'permissions');
      const own = await tenantK.post(KEYS, { name: 'same', permissions: [WebhooksPermissions.Publish] });
      assert.equal(own.status, 201);
      assert.equal(own.body.tenantId, 'tenant-k');
    });

    it('rejects bad key input naming the field, and writes nothing', async () => {
      const cases: [unknown, string][] = [
        [{ permissions: [WebhooksPermissions.Publish] }, 'name'],
        [{ name: '   ', permissions: [WebhooksPermissions.Publish] }, 'name'],
        [{ name: 'x'.repeat(129), permissions: [WebhooksPermissions.Publish] }, 'name'],
        [{ name: 'k' }, 'permissions'],
        [{ name: 'k', permissions: [] }, 'permissions'],
        [{ name: 'k', permissions: ['Webhooks.Everything'] }, 'permissions'],
        [{ name: 'k', permissions: [WebhooksPermissions.Publish], expiresAt: 'tomorrow' }, 'expiresAt'],
        [{ name: 'k', permissions: [WebhooksPermissions.Publish], expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
        [{ name: 'k', permissions: [WebhooksPermissions.Publish], tenantId: 'other' }, 'tenantId'],
      ];
      const [before] = await f.env.query<{ n: string }>('SELECT count(*) AS n FROM webhook_api_keys');
      for (const [body, field] of cases) {
        const response = await f.api.post(KEYS, body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.ok(
          response.body.error.details.some((d: { field: string }) => d.field === field),
          `${JSON.stringify(body)} → ${JSON.stringify(response.body)}`,
        );
      }
      assert.equal(
        (await f.api.post(KEYS, { name: 'k', permissions: [] }, 'bad tenant!')).body.error.details[0].field,
        '__tenant',
      );
      const [afterCount] = await f.env.query<{ n: string }>('SELECT count(*) AS n FROM webhook_api_keys');
      assert.equal(afterCount.n, before.n);
    });
  });

  describe('JWT bearer tokens', () => {
    it('a valid token acts for its tenantid claim with the permissions it lists', async () => {
      const token = await hs256({
        tenantid: 'tenant-j',
        permissions: [WebhooksPermissions.Subscriptions.Default, WebhooksPermissions.Subscriptions.Create],
      });
      const created = await f.api.as(token).subscribe(subscription);
      const [row] = await f.env.query<{ tenant_id: string }>('SELECT tenant_id FROM webhook_subscriptions WHERE id = $1', [
        created.id,
      ]);
      assert.equal(row.tenant_id, 'tenant-j');
      const publish = await f.api.as(token).post('/api/webhooks/publish', { webhookName: 'order.created', data: {} });
      assert.equal(publish.status, 403);
    });

    it('permissions may also be a space-separated string', async () => {
      const token = await hs256({ tenantid: 'tenant-j', permissions: 'Webhooks.Subscriptions Webhooks.Subscriptions.Create' });
      assert.equal(
        (await f.api.as(token).post(SUBSCRIPTIONS, { ...subscription, webhookUri: 'https://example.com/2' })).status,
        201,
      );
    });

    it('refuses a wrong signature, an expired token, another audience, and a bad tenant claim', async () => {
      const claims = { tenantid: 'tenant-j', permissions: [WebhooksPermissions.Subscriptions.Default] };
      const tokens = [
        await hs256(claims, { secret: 'another-secret-of-at-least-32-chars!!' }),
        await hs256(claims, { expiresIn: '-1m' }),
        await hs256(claims, { audience: 'someone-else' }),
        await hs256({ ...claims, tenantid: 'not a tenant!' }),
      ];
      for (const token of tokens) assert.equal((await f.api.as(token).get(`${KEYS}`)).status, 401);
    });

    describe('with a JWKS endpoint', () => {
      let jwks: Server;
      let app: RunningHookline;
      let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
      before(async () => {
        const pair = await generateKeyPair('RS256');
        privateKey = pair.privateKey;
        const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
        jwks = createServer((_, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })));
        await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
        const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks`;
        app = await startHookline(f.env, { WEBHOOKS_JWT_JWKS_URL: url, WEBHOOKS_JWT_ISSUER: ISSUER, ROLE: 'api' });
      });
      after(async () => {
        await app?.close();
        jwks?.close();
      });

      it('verifies RS256 tokens against the published keys; a host token (no tenantid) acts for the host', async () => {
        const sign = (claims: Record<string, unknown>) =>
          new SignJWT(claims)
            .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
            .setIssuer(ISSUER)
            .setExpirationTime('5m')
            .sign(privateKey);
        const api: ApiClient = app.api.as(await sign({ permissions: [WebhooksPermissions.ApiKeys] }));
        const list = await api.get(KEYS);
        assert.equal(list.status, 200);
        assert.ok(list.body.items.every((k: { tenantId: string | null }) => k.tenantId === null));
        // An HS256 token signed with the JWKS app's... nothing: this app does not accept shared-secret tokens.
        assert.equal((await app.api.as(await hs256({ permissions: [WebhooksPermissions.ApiKeys] })).get(KEYS)).status, 401);
      });
    });
  });
});
