import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failureRuns } from './typeorm-webhook-send-attempt.store';

const attempt = (webhookSubscriptionId: string, succeeded: boolean) => ({ webhookSubscriptionId, succeeded });

describe('failureRuns', () => {
  it('adds the failures of a subscription without a success in the batch', () => {
    assert.deepEqual(failureRuns([attempt('b', false), attempt('b', false)]), [
      { subscriptionId: 'b', reset: false, trailing: 2 },
    ]);
  });

  it('restarts the run at the last success: only the failures after it count', () => {
    assert.deepEqual(failureRuns([attempt('a', false), attempt('a', true), attempt('a', false)]), [
      { subscriptionId: 'a', reset: true, trailing: 1 },
    ]);
    assert.deepEqual(failureRuns([attempt('a', false), attempt('a', true)]), [{ subscriptionId: 'a', reset: true, trailing: 0 }]);
  });

  it('keeps subscriptions apart, in id order', () => {
    assert.deepEqual(failureRuns([attempt('c', true), attempt('a', false), attempt('c', false)]), [
      { subscriptionId: 'a', reset: false, trailing: 1 },
      { subscriptionId: 'c', reset: true, trailing: 1 },
    ]);
  });
});
