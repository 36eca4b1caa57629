import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MicroBatcher, settleTogetherOrAlone } from './micro-batcher';

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

describe('settleTogetherOrAlone', () => {
  /** Doubles numbers in one call; any batch holding a negative number fails as a whole. */
  const calls: number[][] = [];
  const double = async (items: number[]) => {
    calls.push(items);
    if (items.some((n) => n < 0)) throw new Error(`negative in ${items}`);
    return items.map((n) => n * 2);
  };

  it('runs the items together when it can', async () => {
    calls.length = 0;
    assert.deepEqual(
      await settleTogetherOrAlone([1, 2, 3], double),
      [1, 2, 3].map((n) => ({ status: 'fulfilled', value: n * 2 })),
    );
    assert.deepEqual(calls, [[1, 2, 3]]);
  });

  it('after a failed batch, runs each alone: only the bad item fails', async () => {
    calls.length = 0;
    const results = await settleTogetherOrAlone([1, -2, 3], double);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(calls, [[1, -2, 3], [1], [-2], [3]]);
  });

  it('does not run a lone failed item again, unless retryAlone says so', async () => {
    calls.length = 0;
    assert.equal((await settleTogetherOrAlone([-1], double))[0].status, 'rejected');
    assert.deepEqual(calls, [[-1]]);
    calls.length = 0;
    await settleTogetherOrAlone([-1], double, () => true);
    assert.deepEqual(calls, [[-1], [-1]]);
  });
});
