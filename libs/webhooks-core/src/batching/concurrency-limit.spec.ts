import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConcurrencyLimit } from './concurrency-limit';

const tick = () => new Promise((r) => setImmediate(r));

describe('ConcurrencyLimit', () => {
  it('never runs more than its limit at once, runs every list in arrival order, and frees a slot on failure', async () => {
    const limit = new ConcurrencyLimit(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const gates: (() => void)[] = [];
    const tasks = [0, 1, 2, 3, 4].map((n) =>
      limit.runEach([n], async () => {
        started.push(n);
        peak = Math.max(peak, ++running);
        await new Promise<void>((r) => gates.push(r));
        running--;
        if (n === 1) throw new Error('task 1 failed');
        return n;
      }),
    );
    const settled = Promise.all(tasks).then((lists) => lists.map(([result]) => result));
    await tick();
    assert.deepEqual(started, [0, 1], 'two run, three wait');
    while (gates.length > 0 || started.length < 5) {
      gates.shift()?.();
      await tick();
    }
    const results = await settled;
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.equal(peak, 2);
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      [0, 'task 1 failed', 2, 3, 4],
    );
  });

  it('hands a slot over with acquire; giving it back twice frees it once', async () => {
    const limit = new ConcurrencyLimit(1);
    const release = await limit.acquire();
    const holders: string[] = [];
    const second = limit.acquire().then((r) => (holders.push('second'), r));
    void limit.acquire().then(() => holders.push('third'));
    await tick();
    assert.deepEqual(holders, []);
    release();
    release();
    const releaseSecond = await second;
    await tick();
    assert.deepEqual(holders, ['second'], 'the second release freed nothing more');
    releaseSecond();
    await tick();
    assert.deepEqual(holders, ['second', 'third']);
  });

  it('runs lists item by item, first list first, creating a task only once a slot is its; a task can give its slot back early', async () => {
    const limit = new ConcurrencyLimit(2);
    const started: string[] = [];
    const gates = new Map<string, () => void>();
    const task = (item: string, release: () => void) => {
      started.push(item);
      return new Promise<string>((resolve, reject) => {
        gates.set(item, () => (item === 'a2' ? reject(new Error('a2 failed')) : resolve(item.toUpperCase())));
        if (item === 'b1') gates.set('b1 releases', release); // gives its slot back and runs on
      });
    };
    const a = limit.runEach(['a1', 'a2', 'a3'], task);
    const b = limit.runEach(['b1', 'b2'], task);
    await tick();
    assert.deepEqual(started, ['a1', 'a2'], 'two slots; nothing else created yet');
    gates.get('a1')!();
    await tick();
    assert.deepEqual(started, ['a1', 'a2', 'a3'], 'the first list keeps its place until its last item started');
    gates.get('a2')!();
    await tick();
    assert.deepEqual(started, ['a1', 'a2', 'a3', 'b1']);
    gates.get('b1 releases')!();
    await tick();
    assert.deepEqual(started, ['a1', 'a2', 'a3', 'b1', 'b2'], "b1's early release let b2 start");
    gates.get('b1')!();
    gates.get('a3')!();
    gates.get('b2')!();
    const [aResults, bResults] = await Promise.all([a, b]);
    assert.deepEqual(
      aResults.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      ['A1', 'a2 failed', 'A3'],
    );
    assert.deepEqual(
      bResults.map((r) => (r.status === 'fulfilled' ? r.value : null)),
      ['B1', 'B2'],
    );
    assert.deepEqual(await limit.runEach([], task), []);
  });
});
