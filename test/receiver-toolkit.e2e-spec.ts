import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import Redis from 'ioredis';
import {
  HooklineWebhook,
  RedisDedupeStore,
  WebhookDeduplicator,
  WebhookRequest,
  WebhookVerificationError,
  verifyWebhook,
  webhookMiddleware,
} from '@hookline/webhooks-receiver';
import { REDIS_URL, hooklineFixture } from './support/hookline';
import type { ReceivedRequest } from './support/receiver';
import { waitUntil } from './support/wait';

const whsec = () => 'whsec_' + randomBytes(32).toString('base64');
const refused = (f: () => unknown, reason: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof WebhookVerificationError && reason.test(e.reason));

/** The toolkit (libs/webhooks-receiver) verifies what the running service really sends. */
describe('the receiver toolkit against real deliveries', () => {
  const t = hooklineFixture();

  /** Subscribes a path of the test receiver, publishes one event and returns the request that arrived. */
  async function deliveryTo(path: string, tenant: string, subscription: Record<string, unknown> = {}, data: object = { n: 1 }) {
    const created = await t.api.subscribe(
      { webhookUri: t.receiver.url(path), webhooks: ['order.created'], ...subscription },
      tenant,
    );
    const eventId = await t.api.publish({ webhookName: 'order.created', data }, tenant);
    const [request] = await t.receiver.waitForRequests(path, 1);
    return { created, eventId, request };
  }

  it('verifies both signature schemes and returns the typed event', async () => {
    const data = { orderId: 'ord_1', total: 12.5, note: 'Zoë ✓ "quoted"' };
    const { created, eventId, request } = await deliveryTo('/typed', 'typed', {}, data);
    const event = verifyWebhook<{ 'order.created': typeof data }>(request.body, request.headers, { secrets: created.secret });
    assert.equal(event.webhookEvent, 'order.created');
    assert.deepEqual(event.data, data);
    assert.equal(event.id, eventId);
    assert.equal(event.attempt, 1);
    const [delivery] = await t.env.query<{ id: string }>('SELECT id FROM webhook_deliveries WHERE webhook_event_id = $1', [
      eventId,
    ]);
    assert.equal(event.webhookId, delivery.id, 'webhook-id is the delivery id');
    assert.equal(verifyWebhook(request.body, request.headers, { secrets: created.secret, scheme: 'abp' }).id, eventId);
    refused(() => verifyWebhook(request.body, request.headers, { secrets: whsec() }), /no signature/);
    refused(() => verifyWebhook(request.body, request.headers, { secrets: whsec(), scheme: 'abp' }), /does not match/);
  });

  it('verifies a secret without the whsec_ prefix (its UTF-8 bytes key both schemes)', async () => {
    const secret = 'plain-secret-' + randomBytes(8).toString('hex');
    const { request } = await deliveryTo('/plain', 'plain', { secret });
    assert.ok(verifyWebhook(request.body, request.headers, { secrets: secret }));
    assert.ok(verifyWebhook(request.body, request.headers, { secrets: secret, scheme: 'abp' }));
  });

  it('refuses a real delivery with a tampered body, a tampered timestamp or an old timestamp', async () => {
    const { created, request } = await deliveryTo('/tampered', 'tampered', {}, { amount: 100 });
    const options = { secrets: created.secret };
    assert.ok(verifyWebhook(request.body, request.headers, options));
    refused(() => verifyWebhook(request.body.replace('100', '900'), request.headers, options), /no signature/);
    const timestamp = Number(request.headers['webhook-timestamp']);
    refused(
      () => verifyWebhook(request.body, { ...request.headers, 'webhook-timestamp': String(timestamp - 1) }, options),
      /no signature/,
    );
    refused(
      () => verifyWebhook(request.body, request.headers, { ...options, now: () => timestamp + 301 }),
      /more than 300 s from now/,
    );
    refused(
      () => verifyWebhook(request.body.replace('100', '900'), request.headers, { ...options, scheme: 'abp' }),
      /does not match/,
    );
  });

  it('accepts the new and the old secret during a rotation overlap', async () => {
    const first = await deliveryTo('/rotating', 'rotating');
    const oldSecret = first.created.secret;
    const rotated = await t.api.post(
      `/api/webhooks/subscriptions/${first.created.id}/rotate-secret`,
      { overlapSeconds: 3600 },
      'rotating',
    );
    assert.equal(rotated.status, 200);
    const newSecret: string = rotated.body.secret;
    await t.api.publish({ webhookName: 'order.created', data: { n: 2 } }, 'rotating');
    const [, request] = await t.receiver.waitForRequests('/rotating', 2);
    assert.equal(String(request.headers['webhook-signature']).split(' ').length, 2, 'signed with both secrets');
    assert.ok(verifyWebhook(request.body, request.headers, { secrets: newSecret }));
    assert.ok(verifyWebhook(request.body, request.headers, { secrets: oldSecret }));
    assert.ok(verifyWebhook(request.body, request.headers, { secrets: [newSecret, oldSecret] }));
    // The ABP header carries one signature, with the current secret.
    assert.ok(verifyWebhook(request.body, request.headers, { secrets: [oldSecret, newSecret], scheme: 'abp' }));
    refused(() => verifyWebhook(request.body, request.headers, { secrets: oldSecret, scheme: 'abp' }), /does not match/);
  });

  it('verifies Ed25519 (v1a) deliveries with the public key the API shows, across a key rotation', async () => {
    const SUBSCRIPTIONS = '/api/webhooks/subscriptions';
    const { created, eventId, request } = await deliveryTo('/ed25519', 'ed', { signatureScheme: 'ed25519' }, { orderId: 'o-ed' });
    const { publicKey: firstKey } = (await t.api.get(`${SUBSCRIPTIONS}/${created.id}`, 'ed')).body;
    assert.match(firstKey, /^whpk_/);
    const event = verifyWebhook<{ 'order.created': { orderId: string } }>(request.body, request.headers, {
      publicKey: firstKey,
    });
    assert.equal(event.id, eventId);
    assert.deepEqual(event.data, { orderId: 'o-ed' });
    refused(() => verifyWebhook(request.body.replace('o-ed', 'o-xx'), request.headers, { publicKey: firstKey }), /no signature/);
    refused(() => verifyWebhook(request.body, request.headers, { secrets: whsec() }), /no signature/);

    const rotated = await t.api.post(`${SUBSCRIPTIONS}/${created.id}/rotate-secret`, { overlapSeconds: 3600 }, 'ed');
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const secondKey: string = rotated.body.publicKey;
    assert.equal(rotated.body.previousPublicKey, firstKey);
    await t.api.publish({ webhookName: 'order.created', data: { n: 2 } }, 'ed');
    const [, during] = await t.receiver.waitForRequests('/ed25519', 2);
    assert.ok(verifyWebhook(during.body, during.headers, { publicKey: secondKey }), 'the new key verifies');
    assert.ok(verifyWebhook(during.body, during.headers, { publicKey: firstKey }), 'and so does the old one, during the overlap');

    await t.api.post(`${SUBSCRIPTIONS}/${created.id}/rotate-secret`, { overlapSeconds: 0 }, 'ed');
    const { publicKey: thirdKey } = (await t.api.get(`${SUBSCRIPTIONS}/${created.id}`, 'ed')).body;
    await t.api.publish({ webhookName: 'order.created', data: { n: 3 } }, 'ed');
    const [, , afterwards] = await t.receiver.waitForRequests('/ed25519', 3);
    assert.ok(verifyWebhook(afterwards.body, afterwards.headers, { publicKey: [secondKey, thirdKey] }));
    refused(() => verifyWebhook(afterwards.body, afterwards.headers, { publicKey: secondKey }), /no signature/);
  });

  describe('Express middleware with Redis deduplication', () => {
    const redis = new Redis(REDIS_URL);
    const prefix = `hookline-test-dedupe-${randomBytes(6).toString('hex')}:`;
    const secret = whsec();
    const handled: HooklineWebhook[] = [];
    const received: ReceivedRequest[] = [];
    let server: Server;
    let url: string;

    before(async () => {
      const dedupe = new WebhookDeduplicator(new RedisDedupeStore(redis, prefix), 3600);
      const app = express();
      app.post('/hooks', webhookMiddleware({ secrets: secret }), async (req: WebhookRequest, res) => {
        const webhook = req.webhook!;
        received.push({
          path: '/hooks',
          headers: req.headers,
          rawHeaders: [],
          body: req.rawBody!.toString('utf8'),
          receivedAt: Date.now(),
        });
        await dedupe.once(webhook.webhookId!, () => void handled.push(webhook));
        res.sendStatus(204);
      });
      server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
    });

    after(async () => {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await new Promise((resolve) => server?.close(resolve));
    });

    it('hands each verified delivery to the route once, and refuses forgeries with 401', async () => {
      await t.api.subscribe({ webhookUri: url, webhooks: ['order.*'], secret }, 'express');
      await t.api.publish({ webhookName: 'order.created', data: { n: 1 } }, 'express');
      await t.api.publish({ webhookName: 'order.paid', data: { n: 2 } }, 'express');
      await waitUntil(() => handled.length === 2, { message: () => `${handled.length} handled` });
      await t.env.deliveriesSettled();
      assert.deepEqual(handled.map((w) => [w.webhookEvent, (w.data as { n: number }).n]).sort(), [
        ['order.created', 1],
        ['order.paid', 2],
      ]);

      // The same delivery again (a retry after a lost answer): accepted, not handled twice.
      const [first] = received;
      const headers = Object.fromEntries(
        ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type'].map((h) => [h, String(first.headers[h])]),
      );
      const again = await fetch(url, { method: 'POST', headers, body: first.body });
      assert.equal(again.status, 204);
      assert.equal(handled.length, 2);
      assert.equal(received.length, 3);

      const forged = await fetch(url, { method: 'POST', headers, body: first.body.replace('"n":1', '"n":7') });
      assert.equal(forged.status, 401);
      assert.match(((await forged.json()) as { error: string }).error, /no signature/);
      const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(unsigned.status, 401);
      assert.equal(handled.length, 2);
    });
  });
});
