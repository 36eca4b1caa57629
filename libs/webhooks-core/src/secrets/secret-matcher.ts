import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks presented keys against one expected key (the host admin key) in the same time whatever was presented:
 * both sides are compared as SHA-256 digests, which have one length.
 */
export class SecretMatcher {
  private readonly expected: Buffer;

  constructor(expected: string) {
    this.expected = digest(expected);
  }

  matches(presented: string): boolean {
    return timingSafeEqual(digest(presented), this.expected);
  }
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
