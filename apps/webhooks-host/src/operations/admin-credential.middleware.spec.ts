import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presentedKey } from './admin-credential.middleware';
import { statusClass } from './hookline-metrics';

const basic = (userAndPassword: string) => `Basic ${Buffer.from(userAndPassword).toString('base64')}`;

describe('presentedKey', () => {
  it('reads a Bearer token, or the password of HTTP Basic whatever the user name', () => {
    assert.equal(presentedKey('Bearer abc'), 'abc');
    assert.equal(presentedKey('bearer   abc'), 'abc');
    assert.equal(presentedKey(basic('admin:s3cret:with:colons')), 's3cret:with:colons');
    assert.equal(presentedKey(basic(':only-password')), 'only-password');
  });

  it('finds no key in a missing, empty or other-scheme header, or Basic without a colon', () => {
    for (const header of [undefined, '', 'Bearer', 'Digest abc', basic('no-colon')]) {
      assert.equal(presentedKey(header), null, String(header));
    }
  });
});

describe('statusClass', () => {
  it('groups statuses by hundreds, and no answer as error', () => {
    assert.deepEqual([200, 204, 301, 410, 429, 503, null].map(statusClass), ['2xx', '2xx', '3xx', '4xx', '4xx', '5xx', 'error']);
  });
});
