import assert from 'node:assert/strict';
import { createHmac, createPublicKey, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import {
  DefaultWebhookSigner,
  ed25519PrivateKey,
  ed25519PublicKey,
  generateEd25519SigningKey,
  generateWebhookSecret,
} from './webhook-signer';

describe('DefaultWebhookSigner', () => {
  const signer = new DefaultWebhookSigner();
  const body = '{"id":"e1","webhookEvent":"order.created","attempt":1,"data":{"total":12.5,"name":"Zoë"}}';
  const timestamp = Math.floor(Date.now() / 1000);

  it('produces a Standard Webhooks signature the stock verifier accepts, and rejects when tampered', () => {
    const secret = generateWebhookSecret();
    const headers = signer.sign({ body, secrets: [secret], webhookId: 'msg_1', timestamp });
    assert.doesNotThrow(() => new Webhook(secret).verify(body, headers));
    assert.throws(() => new Webhook(secret).verify(body.replace('12.5', '13.5'), headers));
    assert.throws(() => new Webhook(generateWebhookSecret()).verify(body, headers));
  });

  it('produces the ABP signature: lowercase hex HMAC of the body keyed by the whole secret string', () => {
    const secret = 'my-plain-secret-123';
    const headers = signer.sign({ body, secrets: [secret], webhookId: 'msg_1', timestamp });
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(body, 'utf8')).digest('hex');
    assert.equal(headers['abp-webhook-signature'], `sha256=${expected}`);
    // A secret without the whsec_ prefix keys the Standard Webhooks scheme with its raw UTF-8 bytes.
    assert.doesNotThrow(() => new Webhook(Buffer.from(secret, 'utf8').toString('base64')).verify(body, headers));
  });

  it('signs with every secret given, so a rotated-out secret still verifies', () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = signer.sign({ body, secrets: [newSecret, oldSecret], webhookId: 'msg_2', timestamp });
    assert.equal(headers['webhook-signature'].split(' ').length, 2);
    assert.doesNotThrow(() => new Webhook(oldSecret).verify(body, headers));
    assert.doesNotThrow(() => new Webhook(newSecret).verify(body, headers));
  });

  it('generates whsec_ secrets of 32 random bytes', () => {
    const secret = generateWebhookSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.equal(Buffer.from(secret.slice(6), 'base64').length, 32);
    assert.notEqual(generateWebhookSecret(), secret);
  });

  it('signs ed25519 keys as v1a over "{id}.{timestamp}.{body}", one signature per key, verifiable with the public key', () => {
    const [current, previous] = [generateEd25519SigningKey(), generateEd25519SigningKey()];
    assert.match(current, /^whsk_[A-Za-z0-9+/]{86}==$/);
    const headers = signer.sign({ body, secrets: [current, previous], scheme: 'ed25519', webhookId: 'msg_3', timestamp });
    assert.equal(headers['abp-webhook-signature'], undefined);
    const signatures = headers['webhook-signature'].split(' ');
    assert.equal(signatures.length, 2);
    const content = Buffer.from(`msg_3.${timestamp}.${body}`);
    const publicKeyOf = (key: string) =>
      createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(ed25519PublicKey(key).slice(5), 'base64').toString('base64url') },
        format: 'jwk',
      });
    signatures.forEach((signature, i) => {
      assert.match(signature, /^v1a,/);
      const key = publicKeyOf([current, previous][i]);
      assert.ok(verify(null, content, key, Buffer.from(signature.slice(4), 'base64')));
      assert.ok(!verify(null, Buffer.from(`msg_3.${timestamp}.{}`), key, Buffer.from(signature.slice(4), 'base64')));
    });
  });

  it('reads a whsk_ key as a 32-byte seed or seed and public key alike, and refuses anything else', () => {
    const key = generateEd25519SigningKey();
    const seedOnly = `whsk_${Buffer.from(key.slice(5), 'base64').subarray(0, 32).toString('base64')}`;
    assert.equal(ed25519PublicKey(seedOnly), ed25519PublicKey(key));
    assert.equal(
      Buffer.from(ed25519PublicKey(key).slice(5), 'base64').toString('hex'),
      Buffer.from(key.slice(5), 'base64').subarray(32).toString('hex'),
      'the public key is the second half of the signing key',
    );
    for (const bad of [generateWebhookSecret(), 'whsk_', `whsk_${Buffer.alloc(31).toString('base64')}`, 'whsk_@@@@']) {
      assert.equal(ed25519PrivateKey(bad), null, bad);
    }
  });
});
