import { WebhookValidationError, parseJsonText } from '@hookline/webhooks-core';
import { PublishWebhookInput, isValidIdempotencyKey } from '@hookline/webhooks';

/** What another service puts on the queue (ABP's WebhooksEventData, camelCase JSON); the message id is the key. */
export type WebhooksEventMessage = Omit<PublishWebhookInput, 'idempotencyKey'>;

/** The AMQP parts the consumer reads: the body and the publisher-set message id. */
export interface AmqpMessageParts {
  content: Buffer;
  messageId?: string;
}

/** A message's publish idempotency key is its message id with this prefix, apart from HTTP `Idempotency-Key`s. */
export const IDEMPOTENCY_KEY_PREFIX = 'amqp:';

const FIELDS: ReadonlySet<string> = new Set([
  'webhookName',
  'data',
  'tenantId',
  'sendExactSameData',
  'headers',
  'useOnlyGivenHeaders',
]);

/**
 * Turns a queue message into publish input (its message id as the idempotency key), or throws
 * WebhookValidationError naming what is wrong. Only the shape is checked here; the publisher applies the same
 * rules (known webhook, tenant id, headers, data size) as the HTTP API. Unknown fields are refused, so a misspelt `tenantID` cannot silently publish a host event.
 */
export function parseWebhooksEventMessage({ content, messageId }: AmqpMessageParts): PublishWebhookInput {
  // Without a message id a redelivered message could not be told from a new one.
  if (typeof messageId !== 'string' || messageId === '') {
    throw new WebhookValidationError('messageId', 'the message must have a messageId property (it makes redelivery safe)');
  }
  const idempotencyKey = `${IDEMPOTENCY_KEY_PREFIX}${messageId}`;
  if (!isValidIdempotencyKey(idempotencyKey)) {
    throw new WebhookValidationError('messageId', 'must be 1-250 printable ASCII characters, not ending with a space');
  }
  const body = parseJsonText(content, { field: 'body', textOf: 'data' });
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new WebhookValidationError('body', 'must be a JSON object');
  }
  const message = body as Record<string, unknown>;
  const unknown = Object.keys(message).find((key) => !FIELDS.has(key));
  if (unknown !== undefined) throw new WebhookValidationError(unknown, 'is not a known field');
  if (typeof message.webhookName !== 'string' || message.webhookName === '') {
    throw new WebhookValidationError('webhookName', 'is required (a string)');
  }
  if (message.data === undefined) throw new WebhookValidationError('data', 'is required (a JSON object)');
  if (message.tenantId !== undefined && message.tenantId !== null && typeof message.tenantId !== 'string') {
    throw new WebhookValidationError('tenantId', 'must be a string or null');
  }
  for (const flag of ['sendExactSameData', 'useOnlyGivenHeaders'] as const) {
    if (message[flag] !== undefined && typeof message[flag] !== 'boolean')
      throw new WebhookValidationError(flag, 'must be a boolean');
  }
  const { webhookName, data, tenantId, sendExactSameData, headers, useOnlyGivenHeaders } =
    message as unknown as WebhooksEventMessage;
  return { webhookName, data, tenantId: tenantId ?? null, sendExactSameData, headers, useOnlyGivenHeaders, idempotencyKey };
}
