import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSorting } from './query-rules';

const FIELDS = ['creationTime', 'durationMs'] as const;

describe('parseSorting', () => {
  it('reads a field and an optional direction, ascending by default, in any case', () => {
    assert.deepEqual(parseSorting('durationMs', FIELDS), { field: 'durationMs', direction: 'ASC' });
    assert.deepEqual(parseSorting('creationtime  DESC', FIELDS), { field: 'creationTime', direction: 'DESC' });
    assert.deepEqual(parseSorting(' creationTime asc ', FIELDS), { field: 'creationTime', direction: 'ASC' });
  });

  it('gives nothing for no sorting or an unknown field', () => {
    assert.equal(parseSorting(undefined, FIELDS), undefined);
    assert.equal(parseSorting('', FIELDS), undefined);
    assert.equal(parseSorting('secret desc', FIELDS), undefined);
  });
});
