import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MicroBatcher } from './micro-batcher';

const tick = () => new Promise((r) => setImmediate(r));

describe('MicroBatcher', () => {
  it('runs the calls of one turn as one batch and answers each caller its own result', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number, number>(async (items) => {
      batches.push(items);
      return items.map((n) => n * 10);
    });
    const results = await Promise.all([1, 2, 3].map((n) => batcher.load(n)));
    assert.deepEqual(results, [10, 20, 30]);
    assert.deepEqual(batches, [[1, 2, 3]]);
  });

  it('splits at maxBatch and lets calls made while batches run join the next one', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        batches.push(items);
        await gate;
        return items;
      },
      2,
      1,
    );
    const first = [1, 2, 3].map((n) => batcher.load(n));
    await tick();
    const later = [4, 5].map((n) => batcher.load(n));
    await tick();
    assert.deepEqual(batches, [[1, 2]], 'one batch at a time');
    release();
    assert.deepEqual(await Promise.all([...first, ...later]), [1, 2, 3, 4, 5]);
    assert.deepEqual(batches, [[1, 2], [3, 4], [5]]);
  });

  it('fails every caller of a failed batch, and only those', async () => {
    const batcher = new MicroBatcher<number, number>(async (items) => {
      if (items.includes(2)) throw new Error('boom');
      return items;
    }, 2);
    const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.load(n)));
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected', 'fulfilled'],
    );
  });

  it('fails the callers when a batch answers the wrong number of results', async () => {
    const batcher = new MicroBatcher<number, number>(async () => [1]);
    await assert.rejects(Promise.all([batcher.load(1), batcher.load(2)]), /a batch of 2 answered 1 results/);
  });
});
