import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { timeOfTimeOrderedId, timeOrderedId } from './time-ordered-id';

describe('timeOrderedId', () => {
  it('is a UUIDv7 that gives its time back to the millisecond', () => {
    const at = new Date('2026-12-05T23:59:59.999Z');
    const id = timeOrderedId(at);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(timeOfTimeOrderedId(id)?.toISOString(), at.toISOString());
    assert.notEqual(timeOrderedId(at), id);
  });

  it('orders ids of later times after earlier ones', () => {
    const earlier = timeOrderedId(new Date('2026-12-05T10:00:00.000Z'));
    const later = timeOrderedId(new Date('2026-12-05T10:00:00.001Z'));
    assert.ok(earlier < later);
  });

  it('finds no time in a random UUID or anything else', () => {
    assert.equal(timeOfTimeOrderedId(randomUUID()), null);
    assert.equal(timeOfTimeOrderedId('not-an-id'), null);
  });
});
