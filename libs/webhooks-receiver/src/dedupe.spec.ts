import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryDedupeStore, WebhookDeduplicator } from './dedupe';

describe('WebhookDeduplicator', () => {
  it('runs a handler once per webhook-id while the id is remembered', async () => {
    let clock = 0;
    const dedupe = new WebhookDeduplicator(new MemoryDedupeStore(() => clock), 60);
    const ran: string[] = [];
    assert.equal(await dedupe.once('msg_1', () => ran.push('a')), true);
    assert.equal(await dedupe.once('msg_1', () => ran.push('b')), false);
    assert.equal(await dedupe.once('msg_2', () => ran.push('c')), true);
    clock = 61_000;
    assert.equal(await dedupe.once('msg_1', () => ran.push('d')), true, 'forgotten after the TTL');
    assert.deepEqual(ran, ['a', 'c', 'd']);
  });

  it('lets the next delivery through when the handler failed', async () => {
    const dedupe = new WebhookDeduplicator();
    await assert.rejects(
      dedupe.once('msg_1', () => {
        throw new Error('database down');
      }),
      /database down/,
    );
    assert.equal(await dedupe.once('msg_1', () => undefined), true);
    assert.equal(await dedupe.once('msg_1', () => undefined), false);
  });

  it('keeps concurrent deliveries of one id to one run', async () => {
    const dedupe = new WebhookDeduplicator();
    let runs = 0;
    const results = await Promise.all(Array.from({ length: 5 }, () => dedupe.once('msg_1', async () => void (runs += 1))));
    assert.equal(runs, 1);
    assert.deepEqual(results.filter(Boolean).length, 1);
  });
});
