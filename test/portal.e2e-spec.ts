import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collectPageProblems, launchChromium, screenshot } from './support/browser';
import { ApiClient, TEST_ADMIN_API_KEY, hooklineFixture } from './support/hookline';
import { verifiesWithSecret } from './support/signatures';
import { waitUntil } from './support/wait';

const TENANT_A = 'portal-tenant-a';
const TENANT_B = 'portal-tenant-b';
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Hostile text a publisher or a receiver could send: rendered as HTML, each would run or load something. */
const HOSTILE = '<script>window.__xss = "script"</script><img src=x onerror="window.__xss = \'img\'">';

/** Opens a portal session through the API, as the host's backend does; answers its URL. */
async function portalUrl(api: ApiClient, body: Record<string, unknown>): Promise<string> {
  const { status, body: created } = await api.post('/api/webhooks/portal-sessions', body);
  assert.equal(status, 201, JSON.stringify(created));
  return created.url;
}

/** A page of "the SaaS product" on its own origin, showing the portal in an iframe. */
async function startEmbedder(): Promise<{ origin: string; show: (url: string) => void; close: () => Promise<void> }> {
  let portal = '';
  const server = http.createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      '<!doctype html><html lang="en"><head><title>Acme settings</title></head>' +
        '<body style="margin:0;font-family:system-ui,sans-serif;background:#fafafa">' +
        '<header style="background:#1f2937;color:#fff;padding:14px 24px;font-weight:700">Acme · Settings</header>' +
        '<main style="padding:24px"><h1 style="font-size:20px;margin:0 0 16px">Webhooks</h1>' +
        `<iframe title="Webhooks" src="${portal}" style="width:100%;height:640px;border:1px solid #ddd;border-radius:8px"></iframe>` +
        '</main></body></html>',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    show: (url) => (portal = url),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** The serious and critical accessibility violations axe-core finds on the page. */
async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run: (o: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> };
      }
    ).axe;
    const result = await axe.run({ resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.targets.join(', ')}`);
}

/** The tenant portal and the admin console in Debian's Chromium, against the real service and a receiver. */
// A hang (a browser stuck on a loaded machine) fails the file instead of holding up the whole run.
describe('portal in a browser', { timeout: 600_000 }, () => {
  const settings: Record<string, string> = {
    // Rotation without overlap: after a rotation only the new secret signs, so a delivery proves which one it used.
    WEBHOOKS_SECRET_ROTATION_OVERLAP_SECONDS: '0',
    // A breaker that six failures in a row open, and that stays open while the page is looked at; the other
    // endpoints here fail at most one delivery's five attempts in a row.
    WEBHOOKS_BREAKER_MIN_ATTEMPTS: '6',
    WEBHOOKS_BREAKER_FAILURE_PERCENT: '100',
    WEBHOOKS_BREAKER_COOLDOWN_MS: '600000',
  };
  let embedder: Awaited<ReturnType<typeof startEmbedder>>;
  before(async () => {
    embedder = await startEmbedder();
    settings.WEBHOOKS_PORTAL_ALLOWED_ORIGINS = embedder.origin;
  });
  const f = hooklineFixture(settings);
  let browser: Browser;
  let context: BrowserContext | undefined;
  let page: Page;
  let problems: string[];
  /** Every page visited, for the accessibility scan. */
  const scanned = new Map<string, string[]>();

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await embedder?.close();
  });

  /** A fresh browser profile (no cookies). */
  async function freshPage(): Promise<Page> {
    await context?.close();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    problems = collectPageProblems(page);
    return page;
  }

  async function openPortal(body: Record<string, unknown>): Promise<Page> {
    await freshPage();
    await page.goto(await portalUrl(f.api, body));
    return page;
  }

  /** Screenshot and accessibility scan of the page as it stands. */
  async function capture(name: string): Promise<void> {
    await screenshot(page, name);
    scanned.set(name, await axeViolations(page));
  }

  let endpointId: string;
  let newSecret: string;

  it('creates an endpoint through the UI, test-sends it, rotates its secret; the next delivery verifies with the new secret only', async () => {
    await openPortal({ tenantId: TENANT_A });
    await page.getByRole('heading', { name: 'No endpoints yet' }).waitFor();
    assert.doesNotMatch(page.url(), /token/, 'the one-time token left the address bar');
    await capture('endpoints-empty');

    await page.getByRole('link', { name: 'Add endpoint' }).first().click();
    await page.getByLabel('Endpoint URL').fill(f.receiver.url('/portal-a'));
    await page.getByRole('checkbox', { name: /order\.created/ }).check();
    await page.getByLabel('Description (optional)').fill('Orders to the warehouse');
    await capture('endpoint-form');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByRole('heading', { name: f.receiver.url('/portal-a') }).waitFor();

    const { body: list } = await f.api.get('/api/webhooks/subscriptions', TENANT_A);
    assert.equal(list.totalCount, 1);
    assert.deepEqual(list.items[0].webhooks, ['order.created']);
    assert.equal(list.items[0].description, 'Orders to the warehouse');
    endpointId = list.items[0].id;

    f.receiver.on('/portal-a', () => ({ status: 202, body: 'queued for the warehouse' }));
    await page.getByRole('button', { name: 'Send test message' }).click();
    const result = page.getByRole('status').filter({ hasText: 'HTTP 202' });
    await result.waitFor();
    assert.match(await result.innerText(), /queued for the warehouse/);
    assert.equal(f.receiver.requests('/portal-a').length, 1);

    await page.getByRole('button', { name: 'Reveal' }).click();
    const secretText = page.getByTestId('signing-secret');
    await secretText.filter({ hasNotText: '****' }).waitFor();
    const oldSecret = await secretText.innerText();
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('button', { name: 'Rotate', exact: true }).click();
    await page.getByText('New secret in use.').waitFor();
    newSecret = await secretText.innerText();
    assert.notEqual(newSecret, oldSecret);
    assert.match(newSecret, /^whsec_/);
    await capture('endpoint-detail');

    await f.api.publish({ webhookName: 'order.created', data: { orderId: 'o-1' } }, TENANT_A);
    const [, delivered] = await f.receiver.waitForRequests('/portal-a', 2);
    assert.ok(verifiesWithSecret(newSecret, delivered), 'the delivery verifies with the new secret');
    assert.ok(!verifiesWithSecret(oldSecret, delivered), 'and not with the old one');
    assert.deepEqual(problems, []);
  });

  it('shows the delivery and its attempt in the message log, hostile text inert; Resend reaches the receiver', async () => {
    f.receiver.on('/portal-a', () => ({ status: 500, headers: { 'x-receiver-note': HOSTILE }, body: `<h1>down</h1>${HOSTILE}` }));
    const eventId = await f.api.publish({ webhookName: 'order.created', data: { note: HOSTILE } }, TENANT_A);
    await f.receiver.waitForRequests('/portal-a', 3);
    // Every retry spent: the delivery has failed for good.
    await waitUntil(
      async () => (await f.api.get(`/api/webhooks/events/${eventId}`, TENANT_A)).body.deliveries[0].state === 'failed',
    );

    await page.getByRole('link', { name: 'Message log' }).click();
    await page.getByRole('link', { name: 'order.created' }).first().waitFor();
    await capture('message-log');
    await page.getByLabel('Endpoint').selectOption(endpointId);
    await page.getByLabel('Delivery state').selectOption('succeeded');
    await waitUntil(() => page.url().includes(`endpoint=${endpointId}`) && page.url().includes('state=succeeded'));
    const { body: succeeded } = await f.api.get(`/api/webhooks/events?subscriptionId=${endpointId}&state=succeeded`, TENANT_A);
    // The filtered list replaces the whole one once it has loaded.
    const rows = () => page.getByRole('row').count();
    await waitUntil(async () => (await rows()) === 1 + succeeded.totalCount, { message: () => 'the filtered list' });
    assert.equal(await page.locator(`a[href$="/messages/${eventId}"]`).count(), 0, 'the failing event is filtered out');
    await page.getByRole('button', { name: 'Clear filters' }).click();

    await page.goto(`${f.api.baseUrl}/portal/messages/${eventId}`);
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    const attempt = page.locator('details.attempt').first();
    await attempt.locator('summary').click();
    await attempt.getByLabel('Response body').waitFor();
    assert.match(
      await attempt.getByLabel('Response body').innerText(),
      /<h1>down<\/h1><script>window.__xss = "script"<\/script><img src=x onerror=/,
    );
    assert.match(
      await page.getByRole('region', { name: 'Event data' }).getByLabel('Event data').innerText(),
      /"note": "<script>window.__xss/,
    );
    assert.match(await attempt.getByLabel('Response headers').innerText(), /<img src=x onerror=/);
    assert.match(await attempt.getByLabel('Request headers').innerText(), /webhook-signature/);
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __xss?: string }).__xss), undefined, 'nothing ran');
    assert.equal(
      await page.locator('main img, main script, main h1:text("down")').count(),
      0,
      'no element was made from outside text',
    );
    await capture('message-detail');

    const attemptsBefore = await page.locator('details.attempt').count();
    const before = f.receiver.requests('/portal-a').length;
    f.receiver.on('/portal-a', () => ({ status: 200, body: 'back up' }));
    await page.getByRole('button', { name: 'Resend' }).click();
    const resent = (await f.receiver.waitForRequests('/portal-a', before + 1)).at(-1)!;
    assert.match(resent.body, /window.__xss/);
    await page
      .getByRole('region', { name: /Delivery to/ })
      .locator('.badge.succeeded', { hasText: 'succeeded' })
      .waitFor();
    // The delivery and its attempts are loaded apart: the new attempt may be listed a moment after the badge changed.
    let attemptsListed = 0;
    await waitUntil(async () => (attemptsListed = await page.locator('details.attempt').count()) === attemptsBefore + 1, {
      message: () => `${attemptsListed} attempts listed, ${attemptsBefore + 1} expected`,
    });
    assert.deepEqual(problems, []);
  });

  it('shows the endpoint health, the recovery page and the event catalog', async () => {
    await page.goto(`${f.api.baseUrl}/portal/endpoints/${endpointId}`);
    await page.getByRole('heading', { name: 'Health' }).waitFor();
    await page.getByRole('figure').first().locator('canvas').first().waitFor();
    assert.equal(await page.getByRole('figure').count(), 2, 'success rate and latency');
    await page.getByRole('button', { name: 'Last 7 days' }).click();
    await page.getByRole('button', { name: 'Last 7 days', pressed: true }).waitFor();
    await capture('endpoint-health');

    await page.getByRole('link', { name: 'Recovery' }).click();
    await page.getByLabel('Endpoint').selectOption(endpointId);
    await capture('recovery');
    const before = f.receiver.requests('/portal-a').length;
    await page.getByLabel('Only messages that failed').uncheck();
    await page.getByRole('button', { name: 'Replay window' }).click();
    await page.getByRole('status').filter({ hasText: 'queued again' }).waitFor();
    await f.receiver.waitForRequests('/portal-a', before + 1);

    const refund = {
      name: 'order.refunded',
      groupName: 'orders',
      displayName: 'Order refunded',
      schema: {
        type: 'object',
        required: ['orderId', 'amount'],
        properties: { orderId: { type: 'string' }, amount: { type: 'integer' } },
      },
      schemaVersion: 3,
      example: { orderId: 'ord_1001', amount: 1250 },
    };
    const created = await f.api.post('/api/webhooks/definitions', refund);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await page.getByRole('link', { name: 'Event catalog' }).click();
    await page.getByText('A customer placed an order.').waitFor();
    const entry = page.locator('dl.catalog > div').filter({ has: page.locator('code', { hasText: 'order.refunded' }) });
    await entry.getByText('Data schema version 3').waitFor();
    await entry.getByText('Example', { exact: true }).click();
    assert.deepEqual(JSON.parse(await entry.getByLabel('Example of order.refunded').innerText()), refund.example);
    await entry.getByText('JSON Schema', { exact: true }).click();
    assert.deepEqual(JSON.parse(await entry.getByLabel('Schema of order.refunded').innerText()), refund.schema);
    await capture('event-catalog');
    assert.deepEqual(problems, []);
  });

  it('shows an open breaker and a pause the endpoint asked for, with when each ends', async () => {
    const health = async (id: string) => (await f.api.get(`/api/webhooks/subscriptions/${id}/health`, TENANT_A)).body;
    f.receiver.on('/portal-paused', () => ({ status: 429, headers: { 'retry-after': '600' } }));
    f.receiver.on('/portal-failing', () => ({ status: 500 }));
    const busy = await f.api.subscribe(
      { webhookUri: f.receiver.url('/portal-paused'), webhooks: ['order.paid'], maxConcurrentSends: 1 },
      TENANT_A,
    );
    const down = await f.api.subscribe(
      { webhookUri: f.receiver.url('/portal-failing'), webhooks: ['order.paid'], maxConcurrentSends: 1 },
      TENANT_A,
    );
    for (let i = 0; i < 5; i++) await f.api.publish({ webhookName: 'order.paid', data: { i } }, TENANT_A);
    await waitUntil(async () => (await health(busy.id)).pausedUntil !== null, { timeoutMs: 30_000, message: () => 'the pause' });
    await waitUntil(async () => (await health(down.id)).breaker.state === 'open', {
      timeoutMs: 30_000,
      message: () => 'the open breaker',
    });

    const { pausedUntil, backlog } = await health(busy.id);
    assert.ok(backlog > 0, 'the messages published after the 429 wait');
    await page.goto(`${f.api.baseUrl}/portal/endpoints/${busy.id}`);
    const pause = page.getByTestId('pause');
    await pause.waitFor();
    assert.match(await pause.innerText(), /^Paused until .+\. Your endpoint asked us to wait/);
    assert.equal(await pause.locator('time').getAttribute('datetime'), pausedUntil);
    assert.equal(await page.getByTestId('breaker').count(), 0, 'its breaker is closed');
    const facts = page.getByRole('region', { name: 'Sending now' });
    assert.match(await facts.innerText(), new RegExp(`Waiting\\s+${backlog} messages? waiting to be sent`));
    assert.match(await facts.innerText(), /Breaker\s+closed/);
    await capture('endpoint-paused');

    const { breaker } = await health(down.id);
    await page.goto(`${f.api.baseUrl}/portal/endpoints/${down.id}`);
    const notice = page.getByTestId('breaker');
    await notice.waitFor();
    assert.match(await notice.innerText(), /^Breaker open since .+\. Too many recent attempts failed, so nothing is sent/);
    assert.deepEqual(
      await notice.locator('time').evaluateAll((times) => times.map((t) => t.getAttribute('datetime'))),
      [breaker.since, breaker.until],
      'since when, and until when',
    );
    const downFacts = await page.getByRole('region', { name: 'Sending now' }).innerText();
    assert.match(downFacts, /Recent failures\s+\d+ recent attempts, 100% failed/);
    assert.match(downFacts, /In flight\s+0 of at most 1 at a time/);
    await capture('endpoint-breaker-open');
    assert.deepEqual(problems, []);
  });

  it('says until when a replaced secret keeps signing, from the endpoint itself', async () => {
    const rotating = await f.api.subscribe(
      { webhookUri: f.receiver.url('/portal-rotating'), webhooks: ['order.cancelled'] },
      TENANT_A,
    );
    const path = `/api/webhooks/subscriptions/${rotating.id}/rotate-secret`;
    const rotated = await f.api.post(path, { overlapSeconds: 3600 }, TENANT_A);
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    await page.goto(`${f.api.baseUrl}/portal/endpoints/${rotating.id}`);
    const notice = page.getByRole('status').filter({ hasText: 'The previous secret keeps signing beside it until' });
    await notice.waitFor();
    assert.equal(await notice.locator('time').getAttribute('datetime'), rotated.body.previousSecretExpiresAt);
    assert.doesNotMatch(await notice.innerText(), /New secret in use/, 'not rotated on this page');
    assert.deepEqual(problems, []);
  });

  it('a session for tenant A cannot reach tenant B: not in the UI, not by editing the URL, not by calls from the page', async () => {
    const b = await f.api.subscribe({ webhookUri: f.receiver.url('/portal-b'), webhooks: ['order.created'] }, TENANT_B);
    const bEvent = await f.api.publish({ webhookName: 'order.created', data: { of: 'tenant b' } }, TENANT_B);
    await openPortal({ tenantId: TENANT_A });
    await page.getByRole('link', { name: f.receiver.url('/portal-a') }).waitFor();
    assert.equal(await page.getByText('/portal-b').count(), 0);

    await page.goto(`${f.api.baseUrl}/portal/endpoints/${b.id}`);
    await page.getByRole('alert').filter({ hasText: 'Not found.' }).waitFor();
    await page.goto(`${f.api.baseUrl}/portal/messages/${bEvent}`);
    await page.getByRole('alert').filter({ hasText: 'Not found.' }).waitFor();

    const answers = await page.evaluate(
      async ({ subscriptionId, tenant }) => {
        const call = (path: string, init: RequestInit = {}) =>
          fetch(`/api/webhooks${path}`, { ...init, headers: { 'x-hookline-portal': '1', ...init.headers } }).then(
            (r) => r.status,
          );
        return {
          get: await call(`/subscriptions/${subscriptionId}`),
          delete: await call(`/subscriptions/${subscriptionId}`, { method: 'DELETE' }),
          actAsB: await call('/subscriptions', { headers: { __tenant: tenant } }),
          openB: await call('/portal-sessions', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ tenantId: tenant }),
          }),
          hostTenants: await call('/tenants'),
        };
      },
      { subscriptionId: b.id, tenant: TENANT_B },
    );
    assert.deepEqual(answers, { get: 404, delete: 404, actAsB: 403, openB: 403, hostTenants: 403 });
    assert.equal((await f.api.get(`/api/webhooks/subscriptions/${b.id}`, TENANT_B)).status, 200, "B's endpoint is intact");
  });

  it('refuses a reused link and an expired one, and shows no data', async () => {
    const url = await portalUrl(f.api, { tenantId: TENANT_A });
    const expiring = await f.api.post('/api/webhooks/portal-sessions', { tenantId: TENANT_A, expiresInSeconds: 5 });
    await freshPage();
    await page.goto(url);
    await page.getByRole('heading', { name: 'Endpoints' }).waitFor();

    await freshPage();
    await page.goto(url);
    await page.getByRole('alert').filter({ hasText: 'already used or expired' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Endpoints' }).count(), 0);
    await capture('link-refused');

    await waitUntil(() => Date.now() > Date.parse(expiring.body.expiresAt) + 500, { timeoutMs: 10_000 });
    await freshPage();
    await page.goto(expiring.body.url);
    await page.getByRole('alert').filter({ hasText: 'already used or expired' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Endpoints' }).count(), 0);
  });

  it('a read-only session shows no way to change anything', async () => {
    await openPortal({
      tenantId: TENANT_A,
      permissions: ['Webhooks.Subscriptions', 'Webhooks.SendAttempts', 'Webhooks.Definitions'],
    });
    await page.getByRole('link', { name: f.receiver.url('/portal-a') }).click();
    await page.getByRole('heading', { name: 'Health' }).waitFor();
    for (const name of ['Edit', 'Disable', 'Delete', 'Rotate secret', 'Send test message', 'Add endpoint']) {
      assert.equal(await page.getByRole('button', { name }).or(page.getByRole('link', { name })).count(), 0, name);
    }
  });

  it('embeds in an iframe on an allowed origin, with its session cookie', async () => {
    await freshPage();
    embedder.show(await portalUrl(f.api, { tenantId: TENANT_A }));
    await page.goto(embedder.origin);
    const frame = page.frameLocator('iframe');
    await frame.getByRole('link', { name: f.receiver.url('/portal-a') }).waitFor();
    await screenshot(page, 'embedded');

    // The same page on another origin (localhost is another site than 127.0.0.1): the browser refuses the frame.
    embedder.show(await portalUrl(f.api, { tenantId: TENANT_A }));
    const blocked = page.waitForEvent('console', { predicate: (m) => /frame-ancestors/.test(m.text()), timeout: 30_000 });
    await page.goto(embedder.origin.replace('127.0.0.1', 'localhost'));
    await blocked;
    assert.equal(await page.frameLocator('iframe').getByRole('heading', { name: 'Endpoints' }).count(), 0);
  });

  it('the host signs in with the admin key, switches tenants, and sees tenants, API keys and the queue', async () => {
    await freshPage();
    await page.goto(`${f.api.baseUrl}/portal/`);
    await page.getByRole('heading', { name: 'Webhooks console' }).waitFor();
    await capture('sign-in');
    await page.getByLabel('Admin key or API key').fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Admin key or API key').fill(TEST_ADMIN_API_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('link', { name: 'Tenants' }).click();
    await page.getByRole('cell', { name: TENANT_A, exact: true }).waitFor();
    await capture('tenants');
    await page.getByRole('button', { name: `Open ${TENANT_A}` }).click();
    await page.getByRole('link', { name: f.receiver.url('/portal-a') }).waitFor();
    assert.equal(await page.getByLabel('Tenant').inputValue(), TENANT_A);
    await page.getByLabel('Tenant').fill(TENANT_B);
    await page.getByRole('button', { name: 'Switch' }).click();
    await page.getByRole('link', { name: f.receiver.url('/portal-b') }).waitFor();
    assert.equal(await page.getByText('/portal-a').count(), 0);

    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Name').fill('billing-service');
    await page.getByRole('checkbox', { name: 'Webhooks.Publish' }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByText('Copy the new key now').waitFor();
    const key = await page.locator('.notice code.secret').innerText();
    assert.equal(
      (await f.api.as(key).publish({ webhookName: 'order.paid', data: {} })).length,
      36,
      `the key works for ${TENANT_B}`,
    );
    await capture('api-keys');

    await page.getByRole('link', { name: 'Queue' }).click();
    await page.getByRole('term').filter({ hasText: 'waiting' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Open the queue dashboard' }).getAttribute('href'), '/admin/queues');
    await capture('queue');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Webhooks console' }).waitFor();
    assert.deepEqual(problems, []);
  });

  it('has no serious or critical accessibility violations on any page (axe-core)', () => {
    assert.ok(scanned.size >= 12, `only ${scanned.size} pages scanned`);
    const found = [...scanned].filter(([, v]) => v.length).map(([name, v]) => `${name}: ${v.join('; ')}`);
    assert.deepEqual(found, []);
  });
});
