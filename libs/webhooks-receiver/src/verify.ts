import { createHmac, createPublicKey, KeyObject, timingSafeEqual, verify as verifySignature } from 'node:crypto';

/** Headers as Node (`req.headers`), Fetch (`Headers`) or a plain object give them. */
export type WebhookHeaders = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /**
   * The subscription's signing secrets (`whsec_…` or any other string), current first. During a rotation
   * overlap, give the new and the old one: a delivery signed with either is accepted.
   */
  secrets?: string | readonly string[];
  /**
   * Ed25519 public keys for asymmetric `v1a` signatures: `whpk_` + base64 of the 32-byte key, a PEM
   * string, or a KeyObject.
   */
  publicKey?: string | KeyObject | readonly (string | KeyObject)[];
  /**
   * How far `webhook-timestamp` may be from now, in seconds, either way (default 300). An older delivery is
   * refused, so a captured request cannot be replayed later.
   */
  toleranceSeconds?: number;
  /**
   * `standard-webhooks` (default): `webhook-signature` (`v1` HMAC or `v1a` Ed25519) over id, timestamp and
   * body, with the timestamp checked. `abp`: only `abp-webhook-signature` (an HMAC of the body alone: it
   * cannot tell a replayed request, so prefer the default when you can).
   */
  scheme?: 'standard-webhooks' | 'abp';
  /** The current time in Unix seconds (tests). */
  now?: () => number;
}

/** Why a request was refused; `reason` is safe to log. A receiver answers it with 401. */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  constructor(readonly reason: string) {
    super(`Webhook refused: ${reason}`);
  }
}

/** What the headers say about a verified delivery. */
export interface VerifiedDelivery {
  /** `webhook-id`: the delivery's id, the same on every retry; the key to deduplicate on. */
  webhookId: string | null;
  /** `webhook-timestamp` in Unix seconds. */
  timestamp: number | null;
}

/** A delivery of one event, as Hookline sends it (the envelope) with what its headers say. */
export interface HooklineWebhook<Name extends string = string, Data = unknown> extends VerifiedDelivery {
  /** The event's id, shared by every subscription the event went to. */
  id: string;
  webhookEvent: Name;
  /** 1 on the first attempt, counting up on retries. */
  attempt: number;
  data: Data;
  creationTimeUtc: string;
}

/**
 * One HooklineWebhook per event of a map from event names to their data types (as `npm run
 * generate:receiver-types` writes it), so a `switch` on `webhookEvent` narrows `data`.
 */
export type WebhookOf<Events> = {
  [Name in keyof Events & string]: HooklineWebhook<Name, Events[Name]>;
}[keyof Events & string];

export const DEFAULT_TOLERANCE_SECONDS = 300;
const SECRET_PREFIX = 'whsec_';
const PUBLIC_KEY_PREFIX = 'whpk_';

/**
 * Checks the signature of a delivery over its raw body (the bytes as received, before any JSON parsing) and
 * returns what its headers say. Throws WebhookVerificationError when it does not verify.
 */
export function verifyWebhookSignature(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  options: VerifyWebhookOptions,
): VerifiedDelivery {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody);
  const header = headerReader(headers);
  const secrets = toList(options.secrets);
  if (options.scheme === 'abp') {
    verifyAbp(body, header('abp-webhook-signature'), secrets);
    return { webhookId: header('webhook-id'), timestamp: null };
  }
  const publicKeys = toList(options.publicKey).map(toPublicKey);
  if (secrets.length === 0 && publicKeys.length === 0) {
    throw new TypeError('verifyWebhook needs `secrets` or `publicKey`');
  }
  const webhookId = header('webhook-id');
  const timestampText = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (!webhookId || !timestampText || !signatures) {
    throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature header');
  }
  if (!/^\d{1,12}$/.test(timestampText)) throw new WebhookVerificationError('webhook-timestamp is not Unix seconds');
  const timestamp = Number(timestampText);
  const now = options.now?.() ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now - timestamp) > tolerance) {
    throw new WebhookVerificationError(`webhook-timestamp is more than ${tolerance} s from now`);
  }
  const signed = Buffer.concat([Buffer.from(`${webhookId}.${timestampText}.`, 'utf8'), body]);
  const hmacs = secrets.map((s) => createHmac('sha256', standardWebhooksKey(s)).update(signed).digest());
  for (const entry of signatures.split(' ')) {
    const [version, encoded] = entry.split(',', 2);
    if (!encoded) continue;
    const signature = Buffer.from(encoded, 'base64');
    if (version === 'v1' && hmacs.some((h) => h.length === signature.length && timingSafeEqual(h, signature))) {
      return { webhookId, timestamp };
    }
    if (version === 'v1a' && publicKeys.some((key) => verifyEd25519(signed, key, signature))) {
      return { webhookId, timestamp };
    }
  }
  throw new WebhookVerificationError('no signature in webhook-signature matches');
}

/**
 * Verifies a delivery (see verifyWebhookSignature) and returns its event, typed by a map of event names to
 * data types. A subscription whose events are sent with `sendExactSameData` has no envelope: verify those
 * with verifyWebhookSignature and parse the body yourself.
 */
export function verifyWebhook<Events = Record<string, unknown>>(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  options: VerifyWebhookOptions,
): WebhookOf<Events> {
  const delivery = verifyWebhookSignature(rawBody, headers, options);
  const text = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8');
  let envelope: Record<string, unknown>;
  try {
    envelope = JSON.parse(text);
  } catch {
    throw new WebhookVerificationError('the body is not JSON');
  }
  if (typeof envelope?.webhookEvent !== 'string' || typeof envelope.id !== 'string' || !('data' in envelope)) {
    throw new WebhookVerificationError('the body is not a Hookline envelope (id, webhookEvent, data)');
  }
  return { ...(envelope as object), ...delivery } as WebhookOf<Events>;
}

/** The Standard Webhooks HMAC key: the base64 after `whsec_`, or the UTF-8 bytes of any other secret. */
export function standardWebhooksKey(secret: string): Buffer {
  return secret.startsWith(SECRET_PREFIX)
    ? Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64')
    : Buffer.from(secret, 'utf8');
}

function verifyAbp(body: Buffer, header: string | null, secrets: string[]): void {
  if (secrets.length === 0) throw new TypeError('the abp scheme needs `secrets`');
  const given = Buffer.from(header ?? '', 'utf8');
  const matches = secrets.some((secret) => {
    const expected = Buffer.from(`sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex')}`);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!matches) throw new WebhookVerificationError('abp-webhook-signature does not match');
}

function verifyEd25519(signed: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return verifySignature(null, signed, key, signature);
  } catch {
    return false;
  }
}

function toPublicKey(key: string | KeyObject): KeyObject {
  if (typeof key !== 'string') return key;
  if (key.startsWith(PUBLIC_KEY_PREFIX)) {
    const raw = Buffer.from(key.slice(PUBLIC_KEY_PREFIX.length), 'base64');
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  }
  return createPublicKey(key);
}

function headerReader(headers: WebhookHeaders): (name: string) => string | null {
  if (typeof headers.get === 'function') return (name) => (headers as { get(n: string): string | null }).get(name);
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => {
    const value = lower.get(name);
    return Array.isArray(value) ? value.join(' ') : typeof value === 'string' ? value : null;
  };
}

function toList<T>(value: T | readonly T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? [...value] : [value as T];
}
