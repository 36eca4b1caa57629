import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebhookValidationError } from '@hookline/webhooks-core';
import { parseWebhooksEventMessage } from './webhooks-event-message';

const parse = (body: unknown, properties: { messageId?: string } = { messageId: 'm-1' }) =>
  parseWebhooksEventMessage({ content: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), ...properties });

const refusedOn = (field: string) => (e: unknown) => e instanceof WebhookValidationError && e.field === field;

describe('parseWebhooksEventMessage', () => {
  it('reads the WebhooksEventData fields, a missing tenant being the host', () => {
    assert.deepEqual(parse({ webhookName: 'order.created', data: { id: 1 } }), {
      webhookName: 'order.created',
      data: { id: 1 },
      tenantId: null,
      sendExactSameData: undefined,
      headers: undefined,
      useOnlyGivenHeaders: undefined,
      idempotencyKey: 'amqp:m-1',
    });
    const full = {
      webhookName: 'a.b',
      data: {},
      tenantId: 't1',
      sendExactSameData: true,
      headers: { 'x-a': '1' },
      useOnlyGivenHeaders: true,
    };
    assert.deepEqual(parse(full), { ...full, idempotencyKey: 'amqp:m-1' });
  });

  it('refuses a message it cannot handle, naming the field', () => {
    const cases: [unknown, string][] = [
      ['{"webhookName":', 'body'],
      [[1, 2], 'body'],
      [{ data: {} }, 'webhookName'],
      [{ webhookName: 7, data: {} }, 'webhookName'],
      [{ webhookName: 'a.b' }, 'data'],
      [{ webhookName: 'a.b', data: {}, tenantId: 5 }, 'tenantId'],
      [{ webhookName: 'a.b', data: {}, sendExactSameData: 'yes' }, 'sendExactSameData'],
      [{ webhookName: 'a.b', data: {}, tenantID: 't1' }, 'tenantID'],
    ];
    for (const [body, field] of cases) assert.throws(() => parse(body), refusedOn(field), JSON.stringify(body));
  });

  it('refuses a message without a message id', () => {
    assert.throws(() => parse({ webhookName: 'a.b', data: {} }, {}), refusedOn('messageId'));
    assert.throws(() => parse({ webhookName: 'a.b', data: {} }, { messageId: '' }), refusedOn('messageId'));
    assert.throws(() => parse({ webhookName: 'a.b', data: {} }, { messageId: 'x'.repeat(251) }), refusedOn('messageId'));
  });
});
