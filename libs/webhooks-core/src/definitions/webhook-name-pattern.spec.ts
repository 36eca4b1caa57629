import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidWebhookName, isWildcardPattern, patternMatches, patternsMatching } from './webhook-name-pattern';

describe('webhook name patterns', () => {
  it('lists every pattern that selects a dotted name', () => {
    assert.deepEqual(patternsMatching('order.item.added'), ['order.item.added', 'order.item.*', 'order.*', '*']);
    assert.deepEqual(patternsMatching('ping'), ['ping', '*']);
  });

  it('agrees with patternMatches for every listed pattern and rejects others', () => {
    for (const p of patternsMatching('order.item.added')) assert.equal(patternMatches(p, 'order.item.added'), true, p);
    assert.equal(patternMatches('order.*', 'orders.created'), false);
    assert.equal(patternMatches('order.created', 'order.created.v2'), false);
    assert.equal(patternMatches('invoice.*', 'order.created'), false);
  });

  it('validates names and wildcards', () => {
    assert.equal(isValidWebhookName('order.created'), true);
    assert.equal(isValidWebhookName('order.*'), false);
    assert.equal(isValidWebhookName('order..created'), false);
    assert.equal(isValidWebhookName(''), false);
    assert.equal(isWildcardPattern('*'), true);
    assert.equal(isWildcardPattern('order.*'), true);
    assert.equal(isWildcardPattern('order*'), false);
    assert.equal(isWildcardPattern('*.created'), false);
  });
});
