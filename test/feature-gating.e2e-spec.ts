import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RunningHookline, ScratchEnvironment, startHookline } from './support/hookline';
import { TestReceiver } from './support/receiver';
import { sleep } from './support/wait';

/**
 * Issue test 3: `invoice.payment_failed` requires Billing.Advanced (config/webhooks.definitions.yaml). Only
 * tenant `premium` is granted it here.
 */
describe('feature gating', () => {
  const env = new ScratchEnvironment();
  let hookline: RunningHookline;
  let receiver: TestReceiver;

  before(async () => {
    receiver = await TestReceiver.start();
    hookline = await startHookline(env, { WEBHOOKS_FEATURE_GRANTS: JSON.stringify({ premium: ['Billing.Advanced'] }) });
  });

  after(async () => {
    await hookline.close();
    await receiver.close();
    await env.drop();
  });

  it('hides a gated definition from a tenant without the feature and shows it to one with it', async () => {
    const names = async (tenant?: string) =>
      (await hookline.api.get('/api/webhooks/definitions', tenant)).body.items.map((d: { name: string }) => d.name);
    assert.ok(!(await names('basic')).includes('invoice.payment_failed'));
    assert.ok((await names('basic')).includes('invoice.finalized'));
    assert.ok((await names('premium')).includes('invoice.payment_failed'));
    assert.ok((await names()).includes('invoice.payment_failed'), 'the host has every feature');
  });

  it('refuses a subscription to a gated webhook for a tenant without the feature, storing nothing', async () => {
    const before = await env.rowCounts();
    const { status, body } = await hookline.api.post(
      '/api/webhooks/subscriptions',
      { webhookUri: receiver.url('/basic'), webhooks: ['invoice.finalized', 'invoice.payment_failed'] },
      'basic',
    );
    assert.equal(status, 400);
    assert.equal(body.error.details[0].field, 'webhooks[1]');
    assert.match(body.error.details[0].message, /features/);
    assert.deepEqual(await env.rowCounts(), before);
  });

  it('does not deliver a gated webhook to a wildcard subscriber without the feature, but delivers the others', async () => {
    await hookline.api.subscribe({ webhookUri: receiver.url('/basic-wildcard'), webhooks: ['invoice.*'] }, 'basic');
    await hookline.api.subscribe({ webhookUri: receiver.url('/premium'), webhooks: ['invoice.payment_failed'] }, 'premium');

    const gated = await hookline.api.publish({ webhookName: 'invoice.payment_failed', data: { invoiceId: 'i-1' } }, 'basic');
    await hookline.api.publish({ webhookName: 'invoice.finalized', data: { invoiceId: 'i-2' } }, 'basic');
    await hookline.api.publish({ webhookName: 'invoice.payment_failed', data: { invoiceId: 'i-3' } }, 'premium');

    const [finalized] = await receiver.waitForRequests('/basic-wildcard', 1);
    assert.equal(JSON.parse(finalized.body).webhookEvent, 'invoice.finalized');
    const [premium] = await receiver.waitForRequests('/premium', 1);
    assert.equal(JSON.parse(premium.body).data.invoiceId, 'i-3');
    await sleep(500);
    assert.equal(receiver.requests('/basic-wildcard').length, 1);
    const deliveries = await env.query('SELECT id FROM webhook_deliveries WHERE webhook_event_id = $1', [gated]);
    assert.equal(deliveries.length, 0);
  });
});
