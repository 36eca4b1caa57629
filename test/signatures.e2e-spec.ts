import assert from 'node:assert/strict';
import { createHmac, createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { hooklineFixture } from './support/hookline';
import { ReceivedRequest } from './support/receiver';
import { standardHeaders } from './support/signatures';
import { waitUntil } from './support/wait';

/** What a receiver does with the ABP header: recompute the HMAC of the raw body with the whole secret. */
function abpSignatureValid(request: ReceivedRequest, body: string, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`);
  const given = Buffer.from(String(request.headers['abp-webhook-signature']));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Issue test 2: both signatures verify on what arrives, and neither survives tampering. */
describe('signed deliveries', () => {
  const t = hooklineFixture();

  it('signs a generated whsec_ secret with both schemes; the stock verifier accepts it, tampering fails both', async () => {
    const { secret } = await t.api.subscribe({ webhookUri: t.receiver.url('/generated'), webhooks: ['order.paid'] }, 't1');
    assert.match(secret, /^whsec_/);
    const eventId = await t.api.publish(
      { webhookName: 'order.paid', data: { orderId: 'o-9', amount: 12.5, note: 'Zoë ✓' } },
      't1',
    );
    const [request] = await t.receiver.waitForRequests('/generated', 1);

    const payload = new Webhook(secret).verify(request.body, standardHeaders(request)) as Record<string, unknown>;
    assert.equal(payload.id, eventId);
    assert.equal(payload.webhookEvent, 'order.paid');
    assert.equal(payload.attempt, 1);
    assert.deepEqual(payload.data, { orderId: 'o-9', amount: 12.5, note: 'Zoë ✓' });
    assert.ok(abpSignatureValid(request, request.body, secret));

    const tampered = request.body.replace('12.5', '99.5');
    assert.notEqual(tampered, request.body);
    assert.throws(() => new Webhook(secret).verify(tampered, standardHeaders(request)));
    assert.equal(abpSignatureValid(request, tampered, secret), false);

    assert.equal(request.headers['content-type'], 'application/json; charset=utf-8');
    assert.match(String(request.headers['user-agent']), /Hookline/);
  });

  it('keys the Standard Webhooks scheme with the raw bytes of a secret given without whsec_', async () => {
    const secret = 'a-plain-shared-secret-42';
    await t.api.subscribe({ webhookUri: t.receiver.url('/plain'), webhooks: ['order.paid'], secret }, 't1');
    await t.api.publish({ webhookName: 'order.paid', data: { orderId: 'o-10' } }, 't1');
    const [request] = await t.receiver.waitForRequests('/plain', 1);
    assert.ok(abpSignatureValid(request, request.body, secret));
    const rawKeyVerifier = new Webhook(Buffer.from(secret, 'utf8').toString('base64'));
    assert.doesNotThrow(() => rawKeyVerifier.verify(request.body, standardHeaders(request)));
  });

  it('sends the exact data with sendExactSameData, and merges or replaces custom headers', async () => {
    const { secret } = await t.api.subscribe(
      {
        webhookUri: t.receiver.url('/exact'),
        webhooks: ['customer.created'],
        headers: {
          'X-Subscription': 'sub',
          'X-Shared': 'from-sub',
          'User-Agent': 'Acme-Relay/2',
          Accept: 'application/vnd.acme+json',
        },
      },
      't2',
    );
    const data = { b: 2, a: [1, 'x'], nested: { z: null } };
    const eventId = await t.api.publish(
      {
        webhookName: 'customer.created',
        data,
        sendExactSameData: true,
        headers: { 'x-shared': 'from-publish', 'X-Publish': 'pub' },
      },
      't2',
    );
    const [merged] = await t.receiver.waitForRequests('/exact', 1);
    assert.equal(merged.body, JSON.stringify(data));
    assert.doesNotThrow(() => new Webhook(secret).verify(merged.body, standardHeaders(merged)));
    assert.equal(merged.headers['x-subscription'], 'sub');
    assert.equal(merged.headers['x-shared'], 'from-publish');
    assert.equal(merged.headers['x-publish'], 'pub');
    assert.equal(merged.headers['user-agent'], 'Acme-Relay/2');
    assert.equal(merged.headers.accept, 'application/vnd.acme+json', "a custom Accept replaces axios's default");
    assert.equal(merged.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'accept').length, 1);
    const sharedHeaderLines = merged.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'x-shared');
    assert.equal(sharedHeaderLines.length, 1, 'one x-shared header on the wire, not two');
    await waitUntil(
      async () => (await t.api.get(`/api/webhooks/send-attempts?webhookEventId=${eventId}`, 't2')).body.totalCount === 1,
    );
    const [attempt] = (await t.api.get(`/api/webhooks/send-attempts?webhookEventId=${eventId}`, 't2')).body.items;
    const storedShared = Object.keys(attempt.requestHeaders).filter((name) => name.toLowerCase() === 'x-shared');
    assert.deepEqual(storedShared, ['x-shared'], 'the stored request headers name it once');
    assert.equal(attempt.requestHeaders['x-shared'], 'from-publish');

    await t.api.publish(
      { webhookName: 'customer.created', data, headers: { 'X-Publish': 'only' }, useOnlyGivenHeaders: true },
      't2',
    );
    const [, replaced] = await t.receiver.waitForRequests('/exact', 2);
    assert.equal(replaced.headers['x-subscription'], undefined);
    assert.equal(replaced.headers['x-publish'], 'only');
    assert.equal(replaced.headers.accept, 'application/json, text/plain, */*', "axios's default Accept when none is given");
    assert.deepEqual(JSON.parse(replaced.body).data, data);
  });
});

/** Whether a `v1a,` signature in the request verifies with this Standard Webhooks public key (`whpk_…`). */
function ed25519Verifies(request: ReceivedRequest, publicKey: string): boolean {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey.replace(/^whpk_/, ''), 'base64').toString('base64url') },
    format: 'jwk',
  });
  const { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures } = standardHeaders(request);
  const content = Buffer.from(`${id}.${timestamp}.${request.body}`, 'utf8');
  return signatures
    .split(' ')
    .filter((s) => s.startsWith('v1a,'))
    .some((s) => verify(null, content, key, Buffer.from(s.slice(4), 'base64')));
}

/** Ed25519 (Standard Webhooks `v1a,`): receivers verify with the public key the API shows, holding no secret. */
describe('Ed25519 signed deliveries', () => {
  const t = hooklineFixture();
  const SUBSCRIPTIONS = '/api/webhooks/subscriptions';

  it('signs with the private key only; the public key from the API verifies, tampering fails', async () => {
    const created = await t.api.subscribe(
      { webhookUri: t.receiver.url('/ed25519'), webhooks: ['order.paid'], signatureScheme: 'ed25519' },
      'ed',
    );
    const got = (await t.api.get(`${SUBSCRIPTIONS}/${created.id}`, 'ed')).body;
    assert.equal(got.signatureScheme, 'ed25519');
    assert.match(got.publicKey, /^whpk_[A-Za-z0-9+/]{43}=$/);
    assert.equal(got.previousPublicKey, null);
    assert.ok(!JSON.stringify(got).includes(created.secret.slice(5)), 'the private key is not shown');

    await t.api.publish({ webhookName: 'order.paid', data: { orderId: 'o-ed' } }, 'ed');
    const [request] = await t.receiver.waitForRequests('/ed25519', 1);
    assert.match(String(request.headers['webhook-signature']), /^v1a,[A-Za-z0-9+/]{86}==$/);
    assert.equal(request.headers['abp-webhook-signature'], undefined, 'no shared-secret signature');
    assert.ok(ed25519Verifies(request, got.publicKey));
    assert.ok(!ed25519Verifies({ ...request, body: request.body.replace('o-ed', 'o-xx') }, got.publicKey));
  });

  it('rotation signs with both keys during the overlap; each public key verifies; then only the new one', async () => {
    const { id } = await t.api.subscribe(
      { webhookUri: t.receiver.url('/ed-rotate'), webhooks: ['order.paid'], signatureScheme: 'ed25519' },
      'ed',
    );
    const { publicKey: oldKey } = (await t.api.get(`${SUBSCRIPTIONS}/${id}`, 'ed')).body;
    const rotated = await t.api.post(`${SUBSCRIPTIONS}/${id}/rotate-secret`, { overlapSeconds: 3600 }, 'ed');
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.match(rotated.body.secret, /^whsk_/);
    assert.equal(rotated.body.previousPublicKey, oldKey);
    const newKey: string = rotated.body.publicKey;
    assert.notEqual(newKey, oldKey);
    assert.equal((await t.api.get(`${SUBSCRIPTIONS}/${id}`, 'ed')).body.previousPublicKey, oldKey);

    await t.api.publish({ webhookName: 'order.paid', data: { n: 1 } }, 'ed');
    const [during] = await t.receiver.waitForRequests('/ed-rotate', 1);
    assert.equal(String(during.headers['webhook-signature']).split(' ').length, 2);
    assert.ok(ed25519Verifies(during, newKey) && ed25519Verifies(during, oldKey));

    await t.api.post(`${SUBSCRIPTIONS}/${id}/rotate-secret`, { overlapSeconds: 0 }, 'ed');
    const { publicKey: newest } = (await t.api.get(`${SUBSCRIPTIONS}/${id}`, 'ed')).body;
    await t.api.publish({ webhookName: 'order.paid', data: { n: 2 } }, 'ed');
    const [, after] = await t.receiver.waitForRequests('/ed-rotate', 2);
    assert.ok(ed25519Verifies(after, newest));
    assert.ok(!ed25519Verifies(after, newKey), 'the replaced key no longer signs');
  });

  it('refuses a secret that is not an Ed25519 key, and an unknown scheme, naming the field', async () => {
    const bad = await t.api.post(
      SUBSCRIPTIONS,
      {
        webhookUri: t.receiver.url('/x'),
        webhooks: ['order.paid'],
        signatureScheme: 'ed25519',
        secret: 'whsec_not-an-ed25519-key',
      },
      'ed',
    );
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].field, 'secret');
    const unknown = await t.api.post(
      SUBSCRIPTIONS,
      { webhookUri: t.receiver.url('/y'), webhooks: ['order.paid'], signatureScheme: 'rsa' },
      'ed',
    );
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.details[0].field, 'signatureScheme');
    const given = `whsk_${Buffer.alloc(32, 9).toString('base64')}`;
    const chosen = await t.api.subscribe(
      { webhookUri: t.receiver.url('/z'), webhooks: ['order.paid'], signatureScheme: 'ed25519', secret: given },
      'ed',
    );
    assert.equal(chosen.secret, given);
  });
});
