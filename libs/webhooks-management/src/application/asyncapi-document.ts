import { createHash } from 'node:crypto';
import type { JsonSchema, WebhookDefinition } from '@hookline/webhooks-core';

/** The AsyncAPI version the document is written in. */
export const ASYNCAPI_VERSION = '3.0.0';

/** The headers every delivery carries; the signatures are described in docs/receiving-webhooks.md. */
const DELIVERY_HEADERS: JsonSchema = {
  type: 'object',
  required: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
  properties: {
    'webhook-id': {
      type: 'string',
      description: 'The delivery id: the same on every retry of one delivery (deduplicate on it).',
    },
    'webhook-timestamp': { type: 'string', pattern: '^[0-9]+$', description: 'Unix seconds when this attempt was signed.' },
    'webhook-signature': {
      type: 'string',
      description:
        'Standard Webhooks signatures, space-separated: `v1,` + base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` (several during a secret rotation), or `v1a,` + base64 Ed25519.',
    },
    'abp-webhook-signature': {
      type: 'string',
      description: '`sha256=` + hex HMAC-SHA256 of the body, keyed by the UTF-8 bytes of the secret.',
    },
  },
};

/**
 * An AsyncAPI 3.0 document of these definitions: one channel and one `send` operation per webhook, whose
 * message is the envelope Hookline POSTs (`{ id, webhookEvent, attempt, data, creationTimeUtc }`) with `data`
 * described by the definition's schema. A channel has no address: each subscription names its own URL.
 */
export function buildAsyncApiDocument(definitions: readonly WebhookDefinition[], title: string): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const d of [...definitions].sort((a, b) => a.name.localeCompare(b.name))) {
    messages[d.name] = message(d);
    channels[d.name] = {
      address: null,
      title: d.displayName,
      ...(d.description ? { description: d.description } : {}),
      messages: { [d.name]: { $ref: `#/components/messages/${pointerEscape(d.name)}` } },
    };
    operations[`send.${d.name}`] = {
      action: 'send',
      title: `Send ${d.displayName}`,
      channel: { $ref: `#/channels/${pointerEscape(d.name)}` },
      messages: [{ $ref: `#/channels/${pointerEscape(d.name)}/messages/${pointerEscape(d.name)}` }],
    };
  }
  return {
    asyncapi: ASYNCAPI_VERSION,
    info: {
      title,
      version: catalogVersion(definitions),
      description:
        'The webhooks this tenant can subscribe to. Each is POSTed to the URL of every matching subscription as JSON, signed (see the message headers).',
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages, schemas: { DeliveryHeaders: DELIVERY_HEADERS } },
  };
}

function message(d: WebhookDefinition): Record<string, unknown> {
  const data: JsonSchema = d.schema ?? { type: 'object', description: 'No schema is declared for this webhook.' };
  return {
    name: d.name,
    title: d.displayName,
    ...(d.description ? { summary: d.description } : {}),
    contentType: 'application/json',
    headers: { $ref: '#/components/schemas/DeliveryHeaders' },
    payload: {
      type: 'object',
      required: ['id', 'webhookEvent', 'attempt', 'data', 'creationTimeUtc'],
      properties: {
        id: { type: 'string', description: "The event's id, shared by every subscription it went to." },
        webhookEvent: { type: 'string', const: d.name },
        attempt: { type: 'integer', minimum: 1, description: '1 on the first attempt, counting up on retries.' },
        data: data,
        creationTimeUtc: { type: 'string', format: 'date-time' },
      },
    },
    ...(d.schemaVersion !== undefined ? { 'x-schema-version': d.schemaVersion } : {}),
    ...(d.example
      ? {
          examples: [
            {
              name: 'example',
              payload: {
                id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
                webhookEvent: d.name,
                attempt: 1,
                data: d.example,
                creationTimeUtc: '2026-01-01T00:00:00.000Z',
              },
            },
          ],
        }
      : {}),
  };
}

/**
 * The document's version: it changes whenever a definition is added, removed or gets another schema version, so
 * a tool can tell whether to regenerate from it.
 */
function catalogVersion(definitions: readonly WebhookDefinition[]): string {
  const names = definitions.map((d) => `${d.name}@${d.schemaVersion ?? 0}`).sort();
  return `catalog-${createHash('sha256').update(names.join('\n')).digest('hex').slice(0, 12)}`;
}

/** A name as one JSON Pointer segment. */
const pointerEscape = (name: string) => name.replace(/~/g, '~0').replace(/\//g, '~1');
