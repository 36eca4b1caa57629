import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebhooksPermissions } from '@hookline/webhooks-management';
import { hooklineFixture } from './support/hookline';
import { waitUntil } from './support/wait';

const SESSIONS = '/api/webhooks/portal-sessions';
const SUBSCRIPTIONS = '/api/webhooks/subscriptions';
const EMBEDDER = 'https://app.example.com';

/** Portal sessions over plain HTTP: the one-time token, the cookie, and the rules the cookie is held to. */
describe('portal sessions', () => {
  const f = hooklineFixture({ WEBHOOKS_PORTAL_ALLOWED_ORIGINS: `${EMBEDDER}, http://localhost:8080` });

  async function open(body: Record<string, unknown>) {
    const { status, body: created } = await f.api.post(SESSIONS, body);
    assert.equal(status, 201, JSON.stringify(created));
    return created as { url: string; token: string; expiresAt: string; permissions: string[] };
  }

  function exchange(token: unknown) {
    return fetch(`${f.api.baseUrl}${SESSIONS}/exchange`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
  }

  /** The cookie a token is exchanged for, as a Cookie header. */
  async function cookieFor(body: Record<string, unknown>): Promise<string> {
    const response = await exchange((await open(body)).token);
    assert.equal(response.status, 200);
    return response.headers.get('set-cookie')!.split(';')[0];
  }

  const withCookie = (
    cookie: string,
    method: string,
    path: string,
    options: { body?: unknown; csrf?: boolean; tenant?: string } = {},
  ) =>
    f.api.request(method, path, {
      key: null,
      body: options.body,
      tenant: options.tenant,
      headers: { cookie, ...(options.csrf === false ? {} : { 'x-hookline-portal': '1' }) },
    });

  it('answers a URL whose fragment carries the token; the token is exchanged once for an HttpOnly SameSite cookie', async () => {
    const created = await open({ tenantId: 'ps-a' });
    assert.equal(created.url, `${f.api.baseUrl}/portal/#token=${created.token}`);
    const first = await exchange(created.token);
    assert.equal(first.status, 200);
    const cookie = first.headers.get('set-cookie')!;
    assert.match(
      cookie,
      /^hookline_portal=hlps_[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/api\/webhooks; HttpOnly; SameSite=Strict$/,
    );
    const reused = await exchange(created.token);
    assert.equal(reused.status, 401);
    assert.match(((await reused.json()) as { error: { message: string } }).error.message, /already used or expired/);
  });

  it('of two exchanges racing for one token, exactly one gets a session', async () => {
    const { token } = await open({ tenantId: 'ps-a' });
    const statuses = (await Promise.all(Array.from({ length: 8 }, () => exchange(token)))).map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 401, 401, 401, 401, 401, 401, 401]);
  });

  it('refuses an expired token, and an expired session', async () => {
    const early = await open({ tenantId: 'ps-a', expiresInSeconds: 5 });
    const cookie = await cookieFor({ tenantId: 'ps-a', expiresInSeconds: 5 });
    assert.equal((await withCookie(cookie, 'GET', SUBSCRIPTIONS)).status, 200);
    await waitUntil(() => Date.now() > new Date(early.expiresAt).getTime() + 1000, { timeoutMs: 10_000 });
    assert.equal((await exchange(early.token)).status, 401);
    assert.equal((await withCookie(cookie, 'GET', SUBSCRIPTIONS)).status, 401);
  });

  it("holds the cookie to its tenant: another tenant's data is neither listed, found, nor reachable with __tenant", async () => {
    const a = await f.api.subscribe({ webhookUri: f.receiver.url('/a'), webhooks: ['order.created'] }, 'ps-a');
    const b = await f.api.subscribe({ webhookUri: f.receiver.url('/b'), webhooks: ['order.created'] }, 'ps-b');
    const cookie = await cookieFor({ tenantId: 'ps-a' });
    const list = await withCookie(cookie, 'GET', SUBSCRIPTIONS);
    assert.deepEqual(
      list.body.items.map((s: { id: string }) => s.id),
      [a.id],
    );
    assert.equal((await withCookie(cookie, 'GET', `${SUBSCRIPTIONS}/${b.id}`)).status, 404);
    assert.equal((await withCookie(cookie, 'DELETE', `${SUBSCRIPTIONS}/${b.id}`)).status, 404);
    assert.equal((await withCookie(cookie, 'GET', SUBSCRIPTIONS, { tenant: 'ps-b' })).status, 403);
    assert.equal((await withCookie(cookie, 'POST', SESSIONS, { body: { tenantId: 'ps-b' } })).status, 403);
    assert.equal((await f.api.get(`${SUBSCRIPTIONS}/${b.id}`, 'ps-b')).status, 200, 'nothing of B was touched');
  });

  it('a change made with the cookie needs the x-hookline-portal header (no cross-site request forgery)', async () => {
    const cookie = await cookieFor({ tenantId: 'ps-c' });
    const body = { webhookUri: f.receiver.url('/c'), webhooks: ['order.created'] };
    const forged = await withCookie(cookie, 'POST', SUBSCRIPTIONS, { body, csrf: false });
    assert.equal(forged.status, 403);
    assert.match(forged.body.error.message, /x-hookline-portal/);
    assert.equal((await f.api.get(SUBSCRIPTIONS, 'ps-c')).body.totalCount, 0);
    assert.equal((await withCookie(cookie, 'POST', SUBSCRIPTIONS, { body })).status, 201);
  });

  it('a read-only session reads but changes nothing', async () => {
    const { Subscriptions, SendAttempts, Definitions } = WebhooksPermissions;
    const cookie = await cookieFor({
      tenantId: 'ps-r',
      permissions: [Subscriptions.Default, SendAttempts.Default, Definitions.Default],
    });
    assert.equal((await withCookie(cookie, 'GET', SUBSCRIPTIONS)).status, 200);
    const created = await withCookie(cookie, 'POST', SUBSCRIPTIONS, {
      body: { webhookUri: f.receiver.url('/r'), webhooks: ['*'] },
    });
    assert.equal(created.status, 403);
    const current = await withCookie(cookie, 'GET', `${SESSIONS}/current`);
    assert.deepEqual(current.body, {
      kind: 'portal-session',
      tenantId: 'ps-r',
      permissions: [Subscriptions.Default, SendAttempts.Default, Definitions.Default],
    });
  });

  it('a tenant key opens sessions for its own tenant only, with no permission it lacks', async () => {
    const { body: key } = await f.api.post(
      '/api/webhooks/api-keys',
      { name: 'portal opener', permissions: [WebhooksPermissions.PortalSessions, WebhooksPermissions.Subscriptions.Default] },
      'ps-t',
    );
    const tenantApi = f.api.as(key.key);
    assert.equal((await tenantApi.post(SESSIONS, { tenantId: 'ps-other' })).status, 403);
    const own = await tenantApi.post(SESSIONS, {});
    assert.equal(own.status, 201);
    assert.equal(own.body.tenantId, 'ps-t');
    assert.deepEqual(own.body.permissions, [WebhooksPermissions.Subscriptions.Default]);
    const wider = await tenantApi.post(SESSIONS, { permissions: [WebhooksPermissions.Subscriptions.Create] });
    assert.equal(wider.status, 400);
    assert.equal(wider.body.error.details[0].field, 'permissions');
  });

  it('validates the request, naming the field, and stores nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ tenantId: 'no spaces' }, 'tenantId'],
      [{ expiresInSeconds: 0 }, 'expiresInSeconds'],
      [{ expiresInSeconds: 86_401 }, 'expiresInSeconds'],
      [{ permissions: ['Webhooks.Everything'] }, 'permissions'],
      [{ extra: true }, 'extra'],
    ];
    const count = async () => (await f.env.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_portal_sessions'))[0].n;
    const before = await count();
    for (const [body, field] of cases) {
      const { status, body: error } = await f.api.post(SESSIONS, body);
      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(error.error.details[0].field, field);
    }
    assert.equal(await count(), before);
    assert.equal((await exchange(12)).status, 401);
    assert.equal((await exchange('hlpt_' + 'A'.repeat(43))).status, 401);
  });

  it('signing out ends the session and clears the cookie', async () => {
    const cookie = await cookieFor({ tenantId: 'ps-a' });
    const out = await withCookie(cookie, 'DELETE', `${SESSIONS}/current`);
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie')!, /^hookline_portal=; Max-Age=0;/);
    assert.equal((await withCookie(cookie, 'GET', SUBSCRIPTIONS)).status, 401);
  });

  it('serves the portal with a strict CSP that lets only the configured origins frame it', async () => {
    for (const path of ['/portal/', '/portal/endpoints/anything']) {
      const response = await fetch(`${f.api.baseUrl}${path}`);
      assert.equal(response.status, 200, path);
      assert.match(await response.text(), /<div id="root"><\/div>/);
      const csp = response.headers.get('content-security-policy')!;
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, new RegExp(`frame-ancestors 'self' ${EMBEDDER} http://localhost:8080(;|$)`));
      assert.doesNotMatch(csp, /unsafe/);
    }
  });
});
