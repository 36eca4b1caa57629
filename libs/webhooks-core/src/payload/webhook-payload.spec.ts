import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildWebhookBody } from './webhook-payload';

describe('buildWebhookBody', () => {
  const base = {
    webhookEventId: 'evt-1',
    webhookName: 'order.created',
    attempt: 2,
    dataJson: '{"b":1,"a":"x\\"y"}',
    creationTime: new Date('2026-01-02T03:04:05.678Z'),
    sendExactSameData: false,
  };

  it('wraps the data in the envelope, keeping the data bytes as published', () => {
    const body = buildWebhookBody(base);
    assert.deepEqual(JSON.parse(body), {
      id: 'evt-1',
      webhookEvent: 'order.created',
      attempt: 2,
      data: { b: 1, a: 'x"y' },
      creationTimeUtc: '2026-01-02T03:04:05.678Z',
    });
    assert.ok(body.includes('"data":{"b":1,"a":"x\\"y"}'));
  });

  it('sends the raw data when sendExactSameData is set', () => {
    assert.equal(buildWebhookBody({ ...base, sendExactSameData: true }), base.dataJson);
  });
});
