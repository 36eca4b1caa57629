import { WebhookValidationError } from '../errors';
import { hasLoneSurrogate } from './json-text';

/** Headers the service sets itself; custom headers (subscription or publish time) may not replace them. */
export const RESERVED_HEADER_NAMES: ReadonlySet<string> = new Set([
  'abp-webhook-signature',
  'webhook-signature',
  'webhook-id',
  'webhook-timestamp',
  'content-type',
  'content-length',
]);

/**
 * Headers that belong to one connection or to how the message is carried (RFC 9110 §7.6.1, RFC 9112), not to
 * the request: a receiver or proxy would act on them, or the HTTP client refuses them. `proxy-*` too.
 */
const TRANSPORT_HEADER_NAMES: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'transfer-encoding',
  'host',
]);

/** Names the default HTTP client (axios) silently leaves out, as they would set an object's prototype. */
const UNSENDABLE_HEADER_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const HEADER_NAME_REGEX = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
export const MAX_CUSTOM_HEADERS = 32;
const MAX_HEADER_VALUE_LENGTH = 4096;

/** Checks custom headers: token names, no CR/LF, none reserved. `field` prefixes the error (`headers`). */
export function assertValidCustomHeaders(headers: unknown, field = 'headers'): asserts headers is Record<string, string> {
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    throw new WebhookValidationError(field, 'must be an object of header names to string values');
  }
  const entries = Object.entries(headers as Record<string, unknown>);
  if (entries.length > MAX_CUSTOM_HEADERS) {
    throw new WebhookValidationError(field, `at most ${MAX_CUSTOM_HEADERS} headers are allowed`);
  }
  for (const [name, value] of entries) {
    const at = `${field}.${name}`;
    if (!HEADER_NAME_REGEX.test(name) || name.length > 256) throw new WebhookValidationError(at, 'is not a valid header name');
    const lowerCase = name.toLowerCase();
    if (RESERVED_HEADER_NAMES.has(lowerCase)) {
      throw new WebhookValidationError(at, 'is set by the service and cannot be overridden');
    }
    if (TRANSPORT_HEADER_NAMES.has(lowerCase) || lowerCase.startsWith('proxy-')) {
      throw new WebhookValidationError(at, 'is a hop-by-hop or transport header, which cannot be sent as a custom header');
    }
    if (UNSENDABLE_HEADER_NAMES.has(lowerCase)) throw new WebhookValidationError(at, 'cannot be sent by the HTTP client');
    if (typeof value !== 'string') throw new WebhookValidationError(at, 'must be a string');
    if (/[\r\n\0]/.test(value)) throw new WebhookValidationError(at, 'must not contain CR, LF or NUL');
    if (hasLoneSurrogate(value)) throw new WebhookValidationError(at, 'must not contain a lone surrogate');
    if (value.length > MAX_HEADER_VALUE_LENGTH) {
      throw new WebhookValidationError(at, `must be at most ${MAX_HEADER_VALUE_LENGTH} characters`);
    }
  }
}

/** What a credential header's value shows as once redacted. */
export const REDACTED_HEADER_VALUE = '[redacted]';

/** Names that hold credentials: these exactly, or containing a word below, or starting with `x-amz-`. */
const CREDENTIAL_HEADER_NAMES: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
const CREDENTIAL_NAME_WORDS = ['token', 'secret', 'password', 'passwd', 'api-key', 'apikey', 'api_key', 'session', 'credential'];
const CREDENTIAL_NAME_PREFIXES = ['x-amz-'];

/** A configured addition to the redaction rule: a header name or part of one, in any case. */
export const REDACTED_HEADER_WORD_REGEX = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;

/**
 * Decides which headers hold credentials, so that their values are stored and shown as `[redacted]`: the
 * request headers of a recorded attempt, the receiver's response headers, and the custom headers of a
 * subscription or event when the API shows them. `extraWords` (configuration) adds names or parts of names.
 */
export class HeaderRedactor {
  private readonly words: readonly string[];

  constructor(extraWords: readonly string[] = []) {
    this.words = [...CREDENTIAL_NAME_WORDS, ...extraWords.map((w) => w.toLowerCase())];
  }

  isCredential(name: string): boolean {
    const lowerCase = name.toLowerCase();
    return (
      CREDENTIAL_HEADER_NAMES.has(lowerCase) ||
      CREDENTIAL_NAME_PREFIXES.some((prefix) => lowerCase.startsWith(prefix)) ||
      this.words.some((word) => lowerCase.includes(word))
    );
  }

  /** A copy with credential values replaced by `[redacted]`. */
  redact(headers: Record<string, string>): Record<string, string> {
    // fromEntries defines each key, where assigning one named `__proto__` would set the prototype instead.
    return Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name, this.isCredential(name) ? REDACTED_HEADER_VALUE : value]),
    );
  }
}
