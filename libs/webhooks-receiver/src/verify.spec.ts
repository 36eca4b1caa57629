import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { WebhookVerificationError, verifyWebhook, verifyWebhookSignature } from './verify';

const secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
const otherSecret = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
const now = 1_765_000_000;
const body = JSON.stringify({
  id: 'evt_1',
  webhookEvent: 'order.created',
  attempt: 1,
  data: { orderId: 'ord_1', note: 'Zoë ✓' },
  creationTimeUtc: '2026-01-01T00:00:00.000Z',
});

/** Standard Webhooks `v1` as the specification defines it. */
function v1(key: Buffer, id: string, timestamp: number, content: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${content}`).digest('base64')}`;
}
const keyOf = (s: string) => Buffer.from(s.slice('whsec_'.length), 'base64');
const headers = (signature: string, timestamp = now, id = 'msg_1') => ({
  'webhook-id': id,
  'webhook-timestamp': String(timestamp),
  'webhook-signature': signature,
});
const refused = (f: () => unknown, reason: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof WebhookVerificationError && reason.test(e.reason));
const at = { now: () => now };

describe('verifyWebhook', () => {
  it('accepts a v1 signature and returns the event with its delivery id and timestamp', () => {
    const event = verifyWebhook<{ 'order.created': { orderId: string } }>(body, headers(v1(keyOf(secret), 'msg_1', now, body)), {
      secrets: secret,
      ...at,
    });
    assert.equal(event.webhookEvent, 'order.created');
    assert.equal(event.data.orderId, 'ord_1');
    assert.equal(event.webhookId, 'msg_1');
    assert.equal(event.timestamp, now);
    assert.equal(event.attempt, 1);
  });

  it('agrees with the reference Standard Webhooks library', () => {
    const stamp = new Date(now * 1000);
    const signature = new Webhook(secret).sign('msg_2', stamp, body);
    assert.equal(verifyWebhook(body, headers(signature, now, 'msg_2'), { secrets: [secret], ...at }).id, 'evt_1');
    const raw = 'a-plain-secret-not-whsec';
    const plain = new Webhook(Buffer.from(raw).toString('base64')).sign('msg_3', stamp, body);
    assert.equal(verifyWebhook(body, headers(plain, now, 'msg_3'), { secrets: raw, ...at }).id, 'evt_1', 'raw UTF-8 key');
  });

  it('verifies the raw bytes, given as a Buffer or a string', () => {
    const h = headers(v1(keyOf(secret), 'msg_1', now, body));
    assert.equal(verifyWebhook(Buffer.from(body), h, { secrets: secret, ...at }).id, 'evt_1');
    assert.equal(verifyWebhook(new Uint8Array(Buffer.from(body)), new Headers(h), { secrets: secret, ...at }).id, 'evt_1');
  });

  it('accepts any of several signatures and any of several secrets (rotation overlap)', () => {
    const both = `${v1(keyOf(otherSecret), 'msg_1', now, body)} ${v1(keyOf(secret), 'msg_1', now, body)}`;
    assert.ok(verifyWebhook(body, headers(both), { secrets: secret, ...at }));
    assert.ok(verifyWebhook(body, headers(both), { secrets: otherSecret, ...at }));
    const oldOnly = v1(keyOf(otherSecret), 'msg_1', now, body);
    assert.ok(verifyWebhook(body, headers(oldOnly), { secrets: [secret, otherSecret], ...at }));
    refused(() => verifyWebhook(body, headers(oldOnly), { secrets: secret, ...at }), /no signature/);
  });

  it('accepts an Ed25519 v1a signature with the public key', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'jwk' }).x!;
    const whpk = `whpk_${Buffer.from(raw, 'base64url').toString('base64')}`;
    const v1a = `v1a,${sign(null, Buffer.from(`msg_1.${now}.${body}`), privateKey).toString('base64')}`;
    assert.ok(verifyWebhook(body, headers(v1a), { publicKey: whpk, ...at }));
    assert.ok(verifyWebhook(body, headers(v1a), { publicKey, ...at }), 'a KeyObject');
    assert.ok(
      verifyWebhook(body, headers(`v1,AAAA ${v1a}`), {
        publicKey: publicKey.export({ format: 'pem', type: 'spki' }) as string,
        ...at,
      }),
    );
    refused(() => verifyWebhook(body.replace('ord_1', 'ord_2'), headers(v1a), { publicKey: whpk, ...at }), /no signature/);
    const other = generateKeyPairSync('ed25519').publicKey;
    refused(() => verifyWebhook(body, headers(v1a), { publicKey: other, ...at }), /no signature/);
    refused(() => verifyWebhook(body, headers(v1a), { secrets: secret, ...at }), /no signature/);
  });

  it('refuses a tampered body, a tampered timestamp, an old or a future timestamp and missing headers', () => {
    const good = v1(keyOf(secret), 'msg_1', now, body);
    const options = { secrets: secret, ...at };
    refused(() => verifyWebhook(body.replace('Zoë', 'Zoe'), headers(good), options), /no signature/);
    refused(() => verifyWebhook(body, headers(good, now - 1), options), /no signature/);
    refused(() => verifyWebhook(body, headers(good, now, 'msg_2'), options), /no signature/);
    const old = v1(keyOf(secret), 'msg_1', now - 301, body);
    refused(() => verifyWebhook(body, headers(old, now - 301), options), /more than 300 s from now/);
    assert.ok(verifyWebhook(body, headers(old, now - 301), { ...options, toleranceSeconds: 600 }));
    const future = v1(keyOf(secret), 'msg_1', now + 301, body);
    refused(() => verifyWebhook(body, headers(future, now + 301), options), /from now/);
    refused(() => verifyWebhook(body, { 'webhook-id': 'msg_1', 'webhook-signature': good }, options), /missing/);
    refused(() => verifyWebhook(body, headers(good, 'soon' as never), options), /Unix seconds/);
    refused(() => verifyWebhook(body, headers('v1,' + Buffer.alloc(32).toString('base64')), options), /no signature/);
  });

  it('refuses a verified body that is not an envelope, and verifyWebhookSignature accepts it', () => {
    const raw = '{"orderId":"ord_1"}';
    const h = headers(v1(keyOf(secret), 'msg_1', now, raw));
    refused(() => verifyWebhook(raw, h, { secrets: secret, ...at }), /not a Hookline envelope/);
    assert.deepEqual(verifyWebhookSignature(raw, h, { secrets: secret, ...at }), { webhookId: 'msg_1', timestamp: now });
  });

  it('verifies the ABP scheme (HMAC of the body with the secret as UTF-8) when asked to', () => {
    const abp = `sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex')}`;
    const event = verifyWebhook(
      body,
      { 'abp-webhook-signature': abp, 'webhook-id': 'msg_1' },
      { secrets: secret, scheme: 'abp' },
    );
    assert.equal(event.webhookId, 'msg_1');
    refused(
      () => verifyWebhook(body + ' ', { 'abp-webhook-signature': abp }, { secrets: secret, scheme: 'abp' }),
      /does not match/,
    );
    refused(() => verifyWebhook(body, {}, { secrets: secret, scheme: 'abp' }), /does not match/);
    refused(() => verifyWebhook(body, { 'abp-webhook-signature': abp }, { secrets: secret, ...at }), /missing/);
  });

  it('has no NestJS or Express dependency at run time', () => {
    const probe = `require(${JSON.stringify(require.resolve('./index'))});
      const loaded = Object.keys(require.cache).filter((p) => /node_modules[\\\\/](@nestjs|express)[\\\\/]/.test(p));
      process.stdout.write(JSON.stringify(loaded));`;
    const run = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), []);
  });
});
