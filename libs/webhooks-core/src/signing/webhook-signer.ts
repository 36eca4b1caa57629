import { KeyObject, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { BoundedMemo } from '../secrets/bounded-memo';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** Standard Webhooks' prefixes of an Ed25519 signing (secret) key and of its public key. */
export const ED25519_SIGNING_KEY_PREFIX = 'whsk_';
export const ED25519_PUBLIC_KEY_PREFIX = 'whpk_';

/**
 * How a subscription's deliveries are signed: `hmac-sha256` with a shared secret (Standard Webhooks `v1,` and
 * the ABP header), or `ed25519` with a private key whose public key receivers verify with (`v1a,`).
 */
export const SIGNATURE_SCHEMES = ['hmac-sha256', 'ed25519'] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];

/** A new secret: `whsec_` + base64 of 32 random bytes, usable for both HMAC schemes. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** A new Ed25519 signing key: `whsk_` + base64 of the 32-byte seed and the 32-byte public key (libsodium's layout). */
export function generateEd25519SigningKey(): string {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return ED25519_SIGNING_KEY_PREFIX + Buffer.concat([seed, raw]).toString('base64');
}

/** A secret of the scheme: generated when none is given. */
export function generateSigningSecret(scheme: SignatureScheme): string {
  return scheme === 'ed25519' ? generateEd25519SigningKey() : generateWebhookSecret();
}

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The private key of a `whsk_` key (a 32-byte seed, or seed and public key), or null when it is not one. */
export function ed25519PrivateKey(signingKey: string): KeyObject | null {
  if (!signingKey.startsWith(ED25519_SIGNING_KEY_PREFIX)) return null;
  const encoded = signingKey.slice(ED25519_SIGNING_KEY_PREFIX.length);
  const bytes = Buffer.from(encoded, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || (bytes.length !== 32 && bytes.length !== 64)) return null;
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, bytes.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
}

/** The public key receivers verify `v1a,` signatures with: `whpk_` + base64 of its 32 raw bytes. */
export function ed25519PublicKey(signingKey: string): string {
  const privateKey = ed25519PrivateKey(signingKey);
  if (!privateKey) throw new Error('Not an Ed25519 signing key');
  return (
    ED25519_PUBLIC_KEY_PREFIX +
    Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url').toString('base64')
  );
}

export interface WebhookSignatureInput {
  /** The exact body bytes that go on the wire. */
  body: string;
  /** The signing secrets, current first; more than one while a rotated-out secret is still honoured. */
  secrets: readonly string[];
  /** What the secrets are: HMAC secrets unless told otherwise. */
  scheme?: SignatureScheme;
  /** Stable for every attempt of one delivery. */
  webhookId: string;
  /** Unix seconds. */
  timestamp: number;
}

/** Port: turns a body and secrets into signature headers. Replace it to sign differently. */
export abstract class WebhookSigner {
  abstract sign(input: WebhookSignatureInput): Record<string, string>;
}

export const ABP_SIGNATURE_HEADER = 'abp-webhook-signature';
/** Parsed private keys kept per signer, so a delivery does not parse its subscription's key again. */
const PRIVATE_KEY_CACHE_ENTRIES = 10_000;

/**
 * Signs HMAC secrets with both schemes receivers meet in practice:
 * - ABP/LINGYUN: `abp-webhook-signature: sha256=<hex HMAC-SHA256(body)>`, keyed by the UTF-8 bytes of the secret;
 * - Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>` keyed by the
 *   base64-decoded part after `whsec_` (or the raw UTF-8 bytes of a secret without that prefix).
 * Ed25519 keys sign the same content as Standard Webhooks' asymmetric `v1a,<base64 signature>`, with no ABP header
 * (it has no asymmetric form).
 */
@Injectable()
export class DefaultWebhookSigner extends WebhookSigner {
  private readonly privateKeys = new BoundedMemo<KeyObject>(PRIVATE_KEY_CACHE_ENTRIES);

  sign({ body, secrets, scheme = 'hmac-sha256', webhookId, timestamp }: WebhookSignatureInput): Record<string, string> {
    const signedContent = `${webhookId}.${timestamp}.${body}`;
    const standard = { 'webhook-id': webhookId, 'webhook-timestamp': String(timestamp) };
    if (scheme === 'ed25519') {
      const content = Buffer.from(signedContent, 'utf8');
      return {
        ...standard,
        'webhook-signature': secrets.map((s) => `v1a,${sign(null, content, this.privateKey(s)).toString('base64')}`).join(' '),
      };
    }
    return {
      [ABP_SIGNATURE_HEADER]: `sha256=${createHmac('sha256', Buffer.from(secrets[0], 'utf8')).update(body, 'utf8').digest('hex')}`,
      ...standard,
      'webhook-signature': secrets
        .map((s) => `v1,${createHmac('sha256', standardWebhooksKey(s)).update(signedContent, 'utf8').digest('base64')}`)
        .join(' '),
    };
  }

  private privateKey(signingKey: string): KeyObject {
    return this.privateKeys.get(signingKey, () => {
      const key = ed25519PrivateKey(signingKey);
      if (!key) throw new Error('An ed25519 subscription holds a secret that is not an Ed25519 signing key');
      return key;
    });
  }
}

export function standardWebhooksKey(secret: string): Buffer {
  return secret.startsWith(WEBHOOK_SECRET_PREFIX)
    ? Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64')
    : Buffer.from(secret, 'utf8');
}
