import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { createShopApp } from '../apps/sample-shop/src/shop.app';
import { ApiClient, REDIS_URL, ScratchEnvironment, TEST_ADMIN_API_KEY } from './support/hookline';
import { TestReceiver } from './support/receiver';

/** Issue test 6: the in-process sample's domain events reach a tenant's receiver as signed webhooks. */
describe('the sample shop (webhooks embedded in-process)', () => {
  const env = new ScratchEnvironment();
  let shop: INestApplication;
  let api: ApiClient;
  let receiver: TestReceiver;

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

  it('validates its own commands', async () => {
    const bad = await api.request('POST', '/orders', { body: { customerEmail: 'not an email', total: -1 } });
    assert.equal(bad.status, 400);
  });
});
