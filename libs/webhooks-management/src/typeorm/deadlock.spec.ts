import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryOnDeadlock } from './deadlock';

const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });

describe('retryOnDeadlock', () => {
  it('runs the transaction again after a deadlock, also when TypeORM wraps the driver error', async () => {
    let runs = 0;
    const result = await retryOnDeadlock(async () => {
      runs++;
      if (runs === 1) throw deadlock;
      if (runs === 2) throw { driverError: deadlock };
      return 'done';
    });
    assert.equal(result, 'done');
    assert.equal(runs, 3);
  });

  it('gives up after the last attempt, and never retries other errors', async () => {
    let runs = 0;
    await assert.rejects(
      retryOnDeadlock(async () => (runs++, Promise.reject(deadlock)), 2),
      /deadlock/,
    );
    assert.equal(runs, 2);
    runs = 0;
    await assert.rejects(
      retryOnDeadlock(async () => (runs++, Promise.reject(new Error('unique violation')))),
      /unique/,
    );
    assert.equal(runs, 1);
  });
});
