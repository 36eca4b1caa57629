import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hooklineFixture } from './support/hookline';

/**
 * Issue test 3: `invoice.payment_failed` requires Billing.Advanced (config/webhooks.definitions.yaml). Only
 * tenant `premium` is granted it here.
 */
describe('feature gating', () => {
  const t = hooklineFixture({ WEBHOOKS_FEATURE_GRANTS: JSON.stringify({ premium: ['Billing.Advanced'] }) });

  it('hides a gated definition from a tenant without the feature and shows it to one with it', async () => {
    const names = async (tenant?: string) =>
      (await t.api.get('/api/webhooks/definitions', tenant)).body.items.map((d: { name: string }) => d.name);
    assert.ok(!(await names('basic')).includes('invoice.payment_failed'));
    assert.ok((await names('basic')).includes('invoice.finalized'));
    assert.ok((await names('premium')).includes('invoice.payment_failed'));
    assert.ok((await names()).includes('invoice.payment_failed'), 'the host has every feature');
  });

  it('refuses a subscription to a gated webhook for a tenant without the feature, storing nothing', async () => {
    const before = await t.env.rowCounts();
    const { status, body } = await t.api.post(
      '/api/webhooks/subscriptions',
      { webhookUri: t.receiver.url('/basic'), webhooks: ['invoice.finalized', 'invoice.payment_failed'] },
      'basic',
    );
    assert.equal(status, 400);
    assert.equal(body.error.details[0].field, 'webhooks[1]');
    assert.match(body.error.details[0].message, /features/);
    assert.deepEqual(await t.env.rowCounts(), before);
  });

  it('does not deliver a gated webhook to a wildcard subscriber without the feature, but delivers the others', async () => {
    await t.api.subscribe({ webhookUri: t.receiver.url('/basic-wildcard'), webhooks: ['invoice.*'] }, 'basic');
    await t.api.subscribe({ webhookUri: t.receiver.url('/premium'), webhooks: ['invoice.payment_failed'] }, 'premium');

    const gated = await t.api.publish({ webhookName: 'invoice.payment_failed', data: { invoiceId: 'i-1' } }, 'basic');
    await t.api.publish({ webhookName: 'invoice.finalized', data: { invoiceId: 'i-2' } }, 'basic');
    await t.api.publish({ webhookName: 'invoice.payment_failed', data: { invoiceId: 'i-3' } }, 'premium');

    const [finalized] = await t.receiver.waitForRequests('/basic-wildcard', 1);
    assert.equal(JSON.parse(finalized.body).webhookEvent, 'invoice.finalized');
    const [premium] = await t.receiver.waitForRequests('/premium', 1);
    assert.equal(JSON.parse(premium.body).data.invoiceId, 'i-3');
    await t.env.deliveriesSettled();
    assert.equal(t.receiver.requests('/basic-wildcard').length, 1);
    const deliveries = await t.env.query('SELECT id FROM webhook_deliveries WHERE webhook_event_id = $1', [gated]);
    assert.equal(deliveries.length, 0);
  });
});
