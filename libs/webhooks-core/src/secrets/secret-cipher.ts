import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { BoundedMemo } from './bounded-memo';

/** A key that encrypts secrets at rest: AES-256, so exactly 32 bytes, named by an id stored beside each value. */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/** What a key id may be made of; it is stored in every value the key encrypts. */
export const ENCRYPTION_KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;

/** Every encrypted value starts with this, then the key id, a colon and base64(iv | ciphertext | tag). */
export const ENCRYPTED_SECRET_PREFIX = 'enc:v1:';

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Decrypted values kept in memory, so the send path does not decrypt once per delivery. */
const CACHE_ENTRIES = 10_000;

export class SecretDecryptionError extends Error {}

/**
 * Encrypts secrets for storage with AES-256-GCM and decrypts them back. The first key encrypts; every key
 * decrypts, so keys can be rotated without downtime. Each value is bound to a context (its row's id): an
 * encrypted value copied to another row does not decrypt.
 *
 * A value without the prefix is taken as stored in plain text (rows written before a key was configured):
 * it is returned as it is, until the start-up pass or the re-encryption command encrypts it.
 */
export class SecretCipher {
  private readonly keys: ReadonlyMap<string, Buffer>;
  private readonly current: EncryptionKey | null;
  private readonly decrypted = new BoundedMemo<string>(CACHE_ENTRIES);

  constructor(keys: readonly EncryptionKey[]) {
    for (const { id, key } of keys) {
      if (!ENCRYPTION_KEY_ID_PATTERN.test(id)) throw new Error(`Encryption key id '${id}' is not valid`);
      if (key.length !== 32) throw new Error(`Encryption key '${id}' must be 32 bytes, not ${key.length}`);
    }
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    if (this.keys.size !== keys.length) throw new Error('Encryption key ids must be distinct');
    this.current = keys[0] ?? null;
  }

  /** Whether values are encrypted on write (a key is configured). */
  get enabled(): boolean {
    return this.current !== null;
  }

  /** The id of the key that encrypts, or null. */
  get currentKeyId(): string | null {
    return this.current?.id ?? null;
  }

  /** Whether the key with this id is configured (it decrypts). */
  knows(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /** Whether a stored value is encrypted (under any key). */
  static isEncrypted(stored: string): boolean {
    return stored.startsWith(ENCRYPTED_SECRET_PREFIX);
  }

  /** The stored form of `plain` for the row `context`: encrypted under the newest key, or as given without one. */
  encrypt(plain: string, context: string): string {
    if (!this.current) return plain;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const sealed = Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${ENCRYPTED_SECRET_PREFIX}${this.current.id}:${sealed.toString('base64')}`;
  }

  /** The plain value of a stored one; remembered, so reading the same stored value again costs a map lookup. */
  decrypt(stored: string, context: string): string {
    if (!SecretCipher.isEncrypted(stored)) return stored;
    return this.decrypted.get(`${context}\n${stored}`, () => this.decryptUncached(stored, context));
  }

  /** A stored value in the form the newest key writes: re-encrypted when it is plain or under an older key. */
  reencrypt(stored: string, context: string): string {
    return this.isCurrent(stored) ? stored : this.encrypt(this.decrypt(stored, context), context);
  }

  /** Whether a stored value is already what encrypt() would write (encrypted under the newest key, or plain without keys). */
  isCurrent(stored: string): boolean {
    return this.current ? stored.startsWith(this.currentPrefix()) : !SecretCipher.isEncrypted(stored);
  }

  /** The prefix of every value encrypted under the newest key. */
  currentPrefix(): string {
    return this.current ? `${ENCRYPTED_SECRET_PREFIX}${this.current.id}:` : '';
  }

  private decryptUncached(stored: string, context: string): string {
    const rest = stored.slice(ENCRYPTED_SECRET_PREFIX.length);
    const colon = rest.indexOf(':');
    const keyId = rest.slice(0, colon);
    const key = colon > 0 ? this.keys.get(keyId) : undefined;
    if (!key) throw new SecretDecryptionError(`A secret is encrypted under key '${keyId}', which is not configured`);
    const sealed = Buffer.from(rest.slice(colon + 1), 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new SecretDecryptionError(
        `A secret encrypted under key '${keyId}' does not decrypt (altered, or moved from another row)`,
      );
    }
  }
}

/**
 * Parses the configured keys: `WEBHOOKS_ENCRYPTION_KEYS` is `id:base64,id:base64,…`, newest first;
 * `WEBHOOKS_ENCRYPTION_KEY` alone is one key with the id `default`. Returns the problems instead of throwing.
 */
export function parseEncryptionKeys(single: string, list: string): { keys: EncryptionKey[]; problems: string[] } {
  const problems: string[] = [];
  if (single && list)
    return { keys: [], problems: ['WEBHOOKS_ENCRYPTION_KEY and WEBHOOKS_ENCRYPTION_KEYS: set one of them, not both'] };
  const entries = single ? [{ variable: 'WEBHOOKS_ENCRYPTION_KEY', id: DEFAULT_ENCRYPTION_KEY_ID, base64: single }] : [];
  if (list) {
    for (const item of list.split(',')) {
      const colon = item.indexOf(':');
      // The value is not echoed: it may be a key.
      if (colon < 1) problems.push('WEBHOOKS_ENCRYPTION_KEYS: each entry must be id:base64');
      else
        entries.push({
          variable: 'WEBHOOKS_ENCRYPTION_KEYS',
          id: item.slice(0, colon).trim(),
          base64: item.slice(colon + 1).trim(),
        });
    }
  }
  const keys: EncryptionKey[] = [];
  for (const { variable, id, base64 } of entries) {
    if (variable === 'WEBHOOKS_ENCRYPTION_KEYS' && !ENCRYPTION_KEY_ID_PATTERN.test(id)) {
      problems.push(`${variable}: key id '${id}' must be 1-32 letters, digits, '.', '_' or '-'`);
      continue;
    }
    const key = Buffer.from(base64, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || key.length !== 32) {
      problems.push(`${variable}: key '${id}' must be 32 bytes in base64 (openssl rand -base64 32)`);
      continue;
    }
    keys.push({ id, key });
  }
  const ids = keys.map((k) => k.id);
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (repeated.length) problems.push(`WEBHOOKS_ENCRYPTION_KEYS: key id '${repeated[0]}' is given twice`);
  return { keys: problems.length ? [] : keys, problems };
}

/** The id of the key `WEBHOOKS_ENCRYPTION_KEY` gives (name it so in WEBHOOKS_ENCRYPTION_KEYS when rotating). */
export const DEFAULT_ENCRYPTION_KEY_ID = 'default';
