import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { createShopApp } from '../apps/sample-shop/src/shop.app';
import { generateWebhookSecret } from '@hookline/webhooks-core';
import { ApiClient, REDIS_URL, ScratchEnvironment, TEST_ADMIN_API_KEY } from './support/hookline';
import { waitUntil } from './support/wait';
import { TestReceiver } from './support/receiver';

/** Issue test 6: the in-process sample's domain events reach a tenant's receiver as signed webhooks. */
describe('the sample shop (webhooks embedded in-process)', () => {
  const env = new ScratchEnvironment();
  let shop: INestApplication;
  let api: ApiClient;
  let receiver: TestReceiver;
  const inboxSecret = generateWebhookSecret();

  before(async () => {
    receiver = await TestReceiver.start();
    shop = await createShopApp(
      {
        port: 0,
        databaseUrl: env.databaseUrl(),
        redisUrl: REDIS_URL,
        queuePrefix: env.queuePrefix,
        adminApiKey: TEST_ADMIN_API_KEY,
        allowPrivateNetworks: true,
        inboxSecrets: [inboxSecret],
      },
      ['error'],
    );
    await shop.listen(0, '127.0.0.1');
    api = new ApiClient(`http://127.0.0.1:${(shop.getHttpServer().address() as AddressInfo).port}`);
  });

  after(async () => {
    await shop?.close();
    await receiver?.close();
    await env.drop();
  });

  it("delivers an order placed and a user registered to the tenant's subscriber, signed", async () => {
    const { secret } = await api.subscribe({ webhookUri: receiver.url('/acme'), webhooks: ['shop.*'] }, 'acme');
    const headers = { 'x-tenant-id': 'acme' };
    const order = await api.request('POST', '/orders', { body: { customerEmail: 'ann@example.com', total: 42.5 }, headers });
    assert.equal(order.status, 201);
    const user = await api.request('POST', '/users', { body: { email: 'bob@example.com', name: 'Bob' }, headers });
    assert.equal(user.status, 201);

    const requests = await receiver.waitForRequests('/acme', 2);
    const verifier = new Webhook(secret);
    const bodies = requests.map((r) => verifier.verify(r.body, r.headers as Record<string, string>) as Record<string, any>);
    const byName = Object.fromEntries(bodies.map((b) => [b.webhookEvent, b.data]));
    assert.deepEqual(byName['shop.order.placed'], order.body);
    assert.deepEqual(byName['shop.user.registered'], user.body);
  });

  it('receives its own webhooks in its inbox, verified and routed by the receiver toolkit, and refuses forgeries', async () => {
    await api.subscribe(
      { webhookUri: `${api.baseUrl}/webhook-inbox`, webhooks: ['shop.order.placed'], secret: inboxSecret },
      'inbox',
    );
    const order = await api.request('POST', '/orders', {
      body: { customerEmail: 'cy@example.com', total: 9.99 },
      headers: { 'x-tenant-id': 'inbox' },
    });
    await waitUntil(async () => (await api.get('/webhook-inbox')).body.length === 1, { message: () => 'nothing in the inbox' });
    const [entry] = (await api.get('/webhook-inbox')).body;
    assert.equal(entry.webhookEvent, 'shop.order.placed');
    assert.equal(entry.summary, `order ${order.body.id} for cy@example.com: 9.99`);
    const [delivery] = await env.query<{ id: string }>(`SELECT id FROM webhook_deliveries WHERE tenant_id = 'inbox'`);
    assert.equal(entry.webhookId, delivery.id);

    const forged = await api.request('POST', '/webhook-inbox', {
      rawBody: JSON.stringify({ id: 'e', webhookEvent: 'shop.order.placed', attempt: 1, data: {}, creationTimeUtc: '' }),
      headers: {
        'webhook-id': 'msg_forged',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': 'v1,AAAA',
      },
    });
    assert.equal(forged.status, 401);
    assert.equal((await api.get('/webhook-inbox')).body.length, 1);
  });

  it('refuses to publish an order whose data breaks its schema', async () => {
    const { status, body } = await api.post(
      '/api/webhooks/publish',
      { webhookName: 'shop.order.placed', data: { id: 'not-a-uuid', customerEmail: 'x@example.com', total: 0 } },
      'acme',
    );
    assert.equal(status, 400);
    assert.deepEqual(
      body.error.details.map((d: { field: string }) => d.field),
      ['data.placedAt', 'data.id', 'data.total'],
    );
  });

  it('validates its own commands', async () => {
    const bad = await api.request('POST', '/orders', { body: { customerEmail: 'not an email', total: -1 } });
    assert.equal(bad.status, 400);
  });
});
