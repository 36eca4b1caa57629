import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SecretCipher, SecretDecryptionError, parseEncryptionKeys } from './secret-cipher';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe('SecretCipher', () => {
  const secret = 'whsec_c2VjcmV0IG9mIHRoaXJ0eS10d28gYnl0ZXMgbG9uZyE=';

  it('encrypts under the newest key without showing the secret, and decrypts back', () => {
    const cipher = new SecretCipher([key('k1')]);
    const stored = cipher.encrypt(secret, 'row-1');
    assert.match(stored, /^enc:v1:k1:[A-Za-z0-9+/]+=*$/);
    assert.ok(!stored.includes(secret.slice(6, 20)));
    assert.notEqual(cipher.encrypt(secret, 'row-1'), stored, 'a fresh IV each time');
    assert.equal(cipher.decrypt(stored, 'row-1'), secret);
  });

  it('decrypts with an older key after rotation; re-encrypts under the newest only what is not already under it', () => {
    const [k1, k2] = [key('k1'), key('k2')];
    const stored = new SecretCipher([k1]).encrypt(secret, 'row-1');
    const rotated = new SecretCipher([k2, k1]);
    assert.equal(rotated.decrypt(stored, 'row-1'), secret);
    const moved = rotated.reencrypt(stored, 'row-1');
    assert.match(moved, /^enc:v1:k2:/);
    assert.equal(rotated.reencrypt(moved, 'row-1'), moved);
    assert.equal(new SecretCipher([k2]).decrypt(moved, 'row-1'), secret);
    assert.throws(() => new SecretCipher([k2]).decrypt(stored, 'row-1'), /key 'k1', which is not configured/);
  });

  it('refuses a value moved to another row, altered, or under a key of the same id but other bytes', () => {
    const cipher = new SecretCipher([key('k1')]);
    const stored = cipher.encrypt(secret, 'row-1');
    assert.throws(() => cipher.decrypt(stored, 'row-2'), SecretDecryptionError);
    const flipped = stored.slice(0, -6) + (stored.at(-6) === 'A' ? 'B' : 'A') + stored.slice(-5);
    assert.throws(() => cipher.decrypt(flipped, 'row-1'), SecretDecryptionError);
    assert.throws(() => new SecretCipher([key('k1')]).decrypt(stored, 'row-1'), SecretDecryptionError);
  });

  it('passes plain-text values through, and stores as given without a key', () => {
    const cipher = new SecretCipher([]);
    assert.equal(cipher.enabled, false);
    assert.equal(cipher.encrypt(secret, 'row-1'), secret);
    assert.equal(cipher.decrypt(secret, 'row-1'), secret);
    assert.equal(new SecretCipher([key('k1')]).decrypt(secret, 'row-1'), secret);
    assert.match(new SecretCipher([key('k1')]).reencrypt(secret, 'row-1'), /^enc:v1:k1:/);
  });

  it('decrypts a stored value once: later reads of it come from memory', () => {
    const cipher = new SecretCipher([key('k1')]);
    const stored = cipher.encrypt(secret, 'row-1');
    const runs = { count: 0 };
    const uncached = (cipher as any).decryptUncached.bind(cipher);
    (cipher as any).decryptUncached = (...args: unknown[]) => (runs.count++, uncached(...args));
    for (let i = 0; i < 100; i++) assert.equal(cipher.decrypt(stored, 'row-1'), secret);
    assert.equal(runs.count, 1);
    // The context is part of what is remembered: the same value read for another row is checked again (and fails).
    assert.throws(() => cipher.decrypt(stored, 'row-2'), SecretDecryptionError);
    assert.equal(runs.count, 2);
  });
});

describe('parseEncryptionKeys', () => {
  const b64 = () => randomBytes(32).toString('base64');

  it('reads one key as the key `default`, or a list of id:base64 newest first', () => {
    const single = b64();
    assert.deepEqual(parseEncryptionKeys(single, '').keys, [{ id: 'default', key: Buffer.from(single, 'base64') }]);
    const [a, b] = [b64(), b64()];
    const { keys, problems } = parseEncryptionKeys('', `2026-12:${a}, default:${b}`);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      keys.map((k) => k.id),
      ['2026-12', 'default'],
    );
    assert.deepEqual(parseEncryptionKeys('', ''), { keys: [], problems: [] });
  });

  it('names each mistake without echoing a key', () => {
    const short = randomBytes(16).toString('base64');
    const cases: [string, string, RegExp][] = [
      [short, '', /WEBHOOKS_ENCRYPTION_KEY: key 'default' must be 32 bytes in base64/],
      ['', `k1:${short}`, /key 'k1' must be 32 bytes/],
      ['', `k1:${b64()}!`, /key 'k1' must be 32 bytes/],
      ['', b64(), /each entry must be id:base64/],
      ['', `bad id:${b64()}`, /key id 'bad id' must be/],
      ['', `k1:${b64()},k1:${b64()}`, /key id 'k1' is given twice/],
      [b64(), `k1:${b64()}`, /set one of them, not both/],
    ];
    for (const [single, list, expected] of cases) {
      const { keys, problems } = parseEncryptionKeys(single, list);
      assert.deepEqual(keys, []);
      assert.match(problems.join('\n'), expected);
      assert.ok(!problems.join('\n').includes(short), 'no key in the message');
    }
  });
});
