import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
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
