import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { collectPageProblems, launchChromium, screenshot } from './support/browser';
import { ApiClient, hooklineFixture } from './support/hookline';
import type { ReceivedRequest } from './support/receiver';

const TENANT_A = 'portal-tenant-a';

const standardHeaders = (r: ReceivedRequest) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

/** Opens a portal session through the API, as the host's backend does; answers its URL. */
async function portalUrl(api: ApiClient, body: Record<string, unknown>): Promise<string> {
  const { status, body: created } = await api.post('/api/webhooks/portal-sessions', body);
  assert.equal(status, 201, JSON.stringify(created));
  return created.url;
}

/** The tenant portal and the admin console in Debian's Chromium, against the real service and a receiver. */
describe('portal in a browser', () => {
  // Rotation without overlap: after a rotation only the new secret signs, so a delivery proves which one it used.
  const f = hooklineFixture({ WEBHOOKS_SECRET_ROTATION_OVERLAP_SECONDS: '0' });
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  /** A fresh browser profile (no cookies) on the portal of `tenantId`. */
  async function openPortal(body: Record<string, unknown>): Promise<Page> {
    await context?.close();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    problems = collectPageProblems(page);
    await page.goto(await portalUrl(f.api, body));
    return page;
  }

  it('creates an endpoint through the UI, test-sends it, rotates its secret; the next delivery verifies with the new secret only', async () => {
    await openPortal({ tenantId: TENANT_A });
    await page.getByRole('heading', { name: 'No endpoints yet' }).waitFor();
    assert.doesNotMatch(page.url(), /token/, 'the one-time token left the address bar');
    await screenshot(page, 'endpoints-empty');

    await page.getByRole('link', { name: 'Add endpoint' }).first().click();
    await page.getByLabel('Endpoint URL').fill(f.receiver.url('/portal-a'));
    await page.getByRole('checkbox', { name: /order\.created/ }).check();
    await page.getByLabel('Description (optional)').fill('Orders to the warehouse');
    await screenshot(page, 'endpoint-form');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByRole('heading', { name: f.receiver.url('/portal-a') }).waitFor();

    const { body: list } = await f.api.get('/api/webhooks/subscriptions', TENANT_A);
    assert.equal(list.totalCount, 1);
    assert.deepEqual(list.items[0].webhooks, ['order.created']);
    assert.equal(list.items[0].description, 'Orders to the warehouse');

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
    const newSecret = await secretText.innerText();
    assert.notEqual(newSecret, oldSecret);
    assert.match(newSecret, /^whsec_/);
    await screenshot(page, 'endpoint-detail');

    await f.api.publish({ webhookName: 'order.created', data: { orderId: 'o-1' } }, TENANT_A);
    const [, delivered] = await f.receiver.waitForRequests('/portal-a', 2);
    assert.doesNotThrow(() => new Webhook(newSecret).verify(delivered.body, standardHeaders(delivered)));
    assert.throws(() => new Webhook(oldSecret).verify(delivered.body, standardHeaders(delivered)));
    assert.deepEqual(problems, []);
  });
});
