import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The SHA-256 digest of a secret as presented: what SecretMatcher compares, and what a store of hashed keys
 * looks a key up by (in hex), so one request hashes its credential once for both.
 */
export const secretDigest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Checks presented keys against one expected key (the host admin key) in the same time whatever was presented:
 * both sides are compared as SHA-256 digests, which have one length.
 */
export class SecretMatcher {
  private readonly expected: Buffer;

  constructor(expected: string) {
    this.expected = secretDigest(expected);
  }

  matches(presented: string): boolean {
    return this.matchesDigest(secretDigest(presented));
  }

  /** As matches(), given the presented secret's secretDigest. */
  matchesDigest(presented: Buffer): boolean {
    return timingSafeEqual(presented, this.expected);
  }
}
