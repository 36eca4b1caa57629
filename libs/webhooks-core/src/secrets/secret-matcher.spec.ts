import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SecretMatcher, secretDigest } from './secret-matcher';

describe('SecretMatcher', () => {
  const matcher = new SecretMatcher('admin-key-0123456789abcdef');

  it('matches the expected key only', () => {
    assert.equal(matcher.matches('admin-key-0123456789abcdef'), true);
    assert.equal(matcher.matches('admin-key-0123456789abcdeF'), false);
  });

  it('refuses a prefix, an extension and the empty string (lengths differ, the comparison does not throw)', () => {
    assert.equal(matcher.matches('admin-key'), false);
    assert.equal(matcher.matches('admin-key-0123456789abcdef0'), false);
    assert.equal(matcher.matches(''), false);
  });

  it('matches a digest of the expected key, as it matches the key', () => {
    assert.equal(matcher.matchesDigest(secretDigest('admin-key-0123456789abcdef')), true);
    assert.equal(matcher.matchesDigest(secretDigest('admin-key-0123456789abcdeF')), false);
  });
});
