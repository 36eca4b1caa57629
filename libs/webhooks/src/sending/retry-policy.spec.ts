import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSuccessStatus, parseRetryAfter, retryDelayMs } from './retry-policy';

const options = { retryBaseDelayMs: 1000, retryMaxDelayMs: 10_000, retryAfterMaxMs: 60_000 };

describe('retryDelayMs', () => {
  it('doubles from the base, with jitter within [half, full] of the exponential step', () => {
    assert.equal(
      retryDelayMs(1, options, null, () => 0),
      500,
    );
    assert.equal(
      retryDelayMs(1, options, null, () => 1),
      1000,
    );
    assert.equal(
      retryDelayMs(3, options, null, () => 1),
      4000,
    );
    for (let i = 0; i < 100; i++) {
      const d = retryDelayMs(2, options);
      assert.ok(d >= 1000 && d <= 2000, String(d));
    }
  });

  it('never exceeds the maximum delay', () => {
    assert.equal(
      retryDelayMs(30, options, null, () => 1),
      10_000,
    );
  });

  it('honours Retry-After as a floor, bounded by retryAfterMaxMs', () => {
    assert.equal(
      retryDelayMs(1, options, 30_000, () => 1),
      30_000,
    );
    assert.equal(
      retryDelayMs(1, options, 3_600_000, () => 1),
      60_000,
    );
    assert.equal(
      retryDelayMs(3, options, 10, () => 1),
      4000,
    );
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('120'), 120_000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('soon'), null);
    assert.equal(parseRetryAfter(undefined), null);
  });
});

describe('isSuccessStatus', () => {
  it('accepts any 2xx and nothing else', () => {
    assert.deepEqual([199, 200, 204, 299, 300, 410, null].map(isSuccessStatus), [false, true, true, true, false, false, false]);
  });
});
