import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { DefaultWebhookSigner, generateWebhookSecret } from './webhook-signer';

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
});
