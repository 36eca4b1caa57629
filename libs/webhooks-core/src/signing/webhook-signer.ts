import { createHmac, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** A new secret: `whsec_` + base64 of 32 random bytes, usable for both signature schemes. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');
}

export interface WebhookSignatureInput {
  /** The exact body bytes that go on the wire. */
  body: string;
  /** The signing secrets, current first; more than one while a rotated-out secret is still honoured. */
  secrets: readonly string[];
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

/**
 * Signs with both schemes receivers meet in practice:
 * - ABP/LINGYUN: `abp-webhook-signature: sha256=<hex HMAC-SHA256(body)>`, keyed by the UTF-8 bytes of the secret;
 * - Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>` keyed by the
 *   base64-decoded part after `whsec_` (or the raw UTF-8 bytes of a secret without that prefix).
 */
@Injectable()
export class DefaultWebhookSigner extends WebhookSigner {
  sign({ body, secrets, webhookId, timestamp }: WebhookSignatureInput): Record<string, string> {
    const signedContent = `${webhookId}.${timestamp}.${body}`;
    return {
      [ABP_SIGNATURE_HEADER]: `sha256=${createHmac('sha256', Buffer.from(secrets[0], 'utf8')).update(body, 'utf8').digest('hex')}`,
      'webhook-id': webhookId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': secrets
        .map((s) => `v1,${createHmac('sha256', standardWebhooksKey(s)).update(signedContent, 'utf8').digest('base64')}`)
        .join(' '),
    };
  }
}

export function standardWebhooksKey(secret: string): Buffer {
  return secret.startsWith(WEBHOOK_SECRET_PREFIX)
    ? Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64')
    : Buffer.from(secret, 'utf8');
}
