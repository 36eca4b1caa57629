import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiErrorBody, hooklineFixture } from './support/hookline';

interface BadInput {
  name: string;
  method?: string;
  path: string;
  body?: unknown;
  rawBody?: string;
  tenant?: string;
  /** The field the answer must name. */
  field: string;
}

const SUBSCRIPTIONS = '/api/webhooks/subscriptions';
const PUBLISH = '/api/webhooks/publish';
const ok = { webhookUri: 'https://example.com/hooks', webhooks: ['order.created'] };
const event = { webhookName: 'order.created', data: { id: 1 } };

const CASES: BadInput[] = [
  { name: 'missing webhookUri', path: SUBSCRIPTIONS, body: { webhooks: ['order.created'] }, field: 'webhookUri' },
  { name: 'webhookUri not a URL', path: SUBSCRIPTIONS, body: { ...ok, webhookUri: 'not a url' }, field: 'webhookUri' },
  {
    name: 'webhookUri not http(s)',
    path: SUBSCRIPTIONS,
    body: { ...ok, webhookUri: 'ftp://example.com/x' },
    field: 'webhookUri',
  },
  {
    name: 'webhookUri javascript:',
    path: SUBSCRIPTIONS,
    body: { ...ok, webhookUri: 'javascript:alert(1)' },
    field: 'webhookUri',
  },
  { name: 'webhookUri not a string', path: SUBSCRIPTIONS, body: { ...ok, webhookUri: 42 }, field: 'webhookUri' },
  { name: 'missing webhooks', path: SUBSCRIPTIONS, body: { webhookUri: ok.webhookUri }, field: 'webhooks' },
  { name: 'empty webhooks', path: SUBSCRIPTIONS, body: { ...ok, webhooks: [] }, field: 'webhooks' },
  { name: 'webhooks not a list', path: SUBSCRIPTIONS, body: { ...ok, webhooks: 'order.created' }, field: 'webhooks' },
  { name: 'webhooks of numbers', path: SUBSCRIPTIONS, body: { ...ok, webhooks: [1] }, field: 'webhooks' },
  {
    name: 'unknown webhook name',
    path: SUBSCRIPTIONS,
    body: { ...ok, webhooks: ['order.created', 'order.exploded'] },
    field: 'webhooks[1]',
  },
  { name: 'wildcard matching nothing', path: SUBSCRIPTIONS, body: { ...ok, webhooks: ['shipment.*'] }, field: 'webhooks[0]' },
  {
    name: 'reserved header',
    path: SUBSCRIPTIONS,
    body: { ...ok, headers: { 'Content-Type': 'text/plain' } },
    field: 'headers.Content-Type',
  },
  {
    name: 'signature header',
    path: SUBSCRIPTIONS,
    body: { ...ok, headers: { 'webhook-signature': 'v1,x' } },
    field: 'headers.webhook-signature',
  },
  {
    name: 'header value not a string',
    path: SUBSCRIPTIONS,
    body: { ...ok, headers: { 'X-Count': 3 } },
    field: 'headers.X-Count',
  },
  {
    name: 'header value with CRLF',
    path: SUBSCRIPTIONS,
    body: { ...ok, headers: { 'X-Evil': 'a\r\nHost: b' } },
    field: 'headers.X-Evil',
  },
  { name: 'header name invalid', path: SUBSCRIPTIONS, body: { ...ok, headers: { 'Bad Name': 'v' } }, field: 'headers.Bad Name' },
  { name: 'headers not an object', path: SUBSCRIPTIONS, body: { ...ok, headers: 'x' }, field: 'headers' },
  { name: 'secret too short', path: SUBSCRIPTIONS, body: { ...ok, secret: 'short' }, field: 'secret' },
  { name: 'timeout zero', path: SUBSCRIPTIONS, body: { ...ok, timeoutDuration: 0 }, field: 'timeoutDuration' },
  { name: 'timeout not a number', path: SUBSCRIPTIONS, body: { ...ok, timeoutDuration: 'abc' }, field: 'timeoutDuration' },
  { name: 'timeout too long', path: SUBSCRIPTIONS, body: { ...ok, timeoutDuration: 301 }, field: 'timeoutDuration' },
  { name: 'max attempts zero', path: SUBSCRIPTIONS, body: { ...ok, maxSendAttemptCount: 0 }, field: 'maxSendAttemptCount' },
  { name: 'isActive not boolean', path: SUBSCRIPTIONS, body: { ...ok, isActive: 'yes' }, field: 'isActive' },
  { name: 'unknown field', path: SUBSCRIPTIONS, body: { ...ok, colour: 'blue' }, field: 'colour' },
  { name: 'bad tenant header', path: SUBSCRIPTIONS, body: ok, tenant: 'not a tenant!', field: '__tenant' },
  { name: 'malformed JSON', path: SUBSCRIPTIONS, rawBody: '{"webhookUri":', field: 'body' },
  { name: 'missing webhookName', path: PUBLISH, body: { data: {} }, field: 'webhookName' },
  { name: 'webhookName not a string', path: PUBLISH, body: { ...event, webhookName: 7 }, field: 'webhookName' },
  { name: 'unknown webhookName', path: PUBLISH, body: { ...event, webhookName: 'order.exploded' }, field: 'webhookName' },
  { name: 'missing data', path: PUBLISH, body: { webhookName: 'order.created' }, field: 'data' },
  { name: 'data an array', path: PUBLISH, body: { ...event, data: [1, 2] }, field: 'data' },
  { name: 'data a string', path: PUBLISH, body: { ...event, data: 'hello' }, field: 'data' },
  { name: 'data null', path: PUBLISH, body: { ...event, data: null }, field: 'data' },
  { name: 'data a number', path: PUBLISH, body: { ...event, data: 5 }, field: 'data' },
  {
    name: 'sendExactSameData not boolean',
    path: PUBLISH,
    body: { ...event, sendExactSameData: 'yes' },
    field: 'sendExactSameData',
  },
  {
    name: 'reserved publish header',
    path: PUBLISH,
    body: { ...event, headers: { 'Webhook-Id': 'x' } },
    field: 'headers.Webhook-Id',
  },
  { name: 'unknown publish field', path: PUBLISH, body: { ...event, tenantId: 'other' }, field: 'tenantId' },
  // Hop-by-hop and transport headers: stored, every send of the subscription would fail.
  ...[
    'Connection',
    'Keep-Alive',
    'Upgrade',
    'Expect',
    'TE',
    'Trailer',
    'Transfer-Encoding',
    'Proxy-Authorization',
    'Proxy-Foo',
    'Host',
  ].flatMap((name): BadInput[] => [
    { name: `${name} header`, path: SUBSCRIPTIONS, body: { ...ok, headers: { [name]: 'x' } }, field: `headers.${name}` },
    { name: `${name} publish header`, path: PUBLISH, body: { ...event, headers: { [name]: 'x' } }, field: `headers.${name}` },
  ]),
  // class-transformer's Date conversion calls the value's toString: an object whose toString is not a function threw.
  {
    name: 'api key expiresAt an object with a toString field',
    path: '/api/webhooks/api-keys',
    rawBody: '{"name":"k","permissions":["Webhooks.Publish"],"expiresAt":{"toString":""}}',
    field: 'expiresAt',
  },
  {
    name: 'api key expiresAt not a date',
    path: '/api/webhooks/api-keys',
    body: { name: 'k', permissions: ['Webhooks.Publish'], expiresAt: '2026-02-30' },
    field: 'expiresAt',
  },
  { name: 'subscription id not a UUID', method: 'GET', path: `${SUBSCRIPTIONS}/123`, field: 'id' },
  { name: 'event id not a UUID', method: 'GET', path: '/api/webhooks/send-attempts?webhookEventId=x', field: 'webhookEventId' },
  {
    name: 'maxResultCount too large',
    method: 'GET',
    path: '/api/webhooks/send-attempts?maxResultCount=5000',
    field: 'maxResultCount',
  },
  { name: 'skipCount negative', method: 'GET', path: '/api/webhooks/send-attempts?skipCount=-1', field: 'skipCount' },
  { name: 'unknown query parameter', method: 'GET', path: '/api/webhooks/send-attempts?state=bogus', field: 'state' },
];

/** Issue test 8: each bad input is a 400 that names the field, and nothing is stored. */
describe('bad input', () => {
  const t = hooklineFixture();

  for (const c of CASES) {
    it(`${c.name} → 400 naming ${c.field}`, async () => {
      const before = await t.env.rowCounts();
      const { status, body } = await t.api.request<ApiErrorBody>(c.method ?? 'POST', c.path, {
        body: c.body,
        rawBody: c.rawBody,
        tenant: c.tenant,
      });
      assert.equal(status, 400, JSON.stringify(body));
      assert.ok(
        body.error.details.some((d) => d.field === c.field),
        `expected a detail for '${c.field}', got ${JSON.stringify(body.error.details)}`,
      );
      assert.ok(body.error.message.length > 0);
      assert.deepEqual(await t.env.rowCounts(), before);
    });
  }

  it('answers 404, not 400, for a well-formed id of nothing', async () => {
    const { status, body } = await t.api.get(`${SUBSCRIPTIONS}/00000000-0000-4000-8000-000000000000`);
    assert.equal(status, 404);
    assert.equal(body.error.code, 'NotFound');
  });

  it("answers 404 for another tenant's subscription", async () => {
    const { id } = await t.api.subscribe(ok, 'owner');
    assert.equal((await t.api.get(`${SUBSCRIPTIONS}/${id}`, 'owner')).status, 200);
    assert.equal((await t.api.get(`${SUBSCRIPTIONS}/${id}`, 'intruder')).status, 404);
    assert.equal((await t.api.get(`${SUBSCRIPTIONS}/${id}`)).status, 404, 'the host sees only host subscriptions here');
  });

  it('shows the secret and credential headers only in the create answer', async () => {
    const created = await t.api.subscribe(
      { ...ok, webhookUri: 'https://example.com/other', headers: { Authorization: 'Bearer s3cret', 'X-Team': 'ops' } },
      'owner',
    );
    assert.match(created.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const { body } = await t.api.get(`${SUBSCRIPTIONS}/${created.id}`, 'owner');
    assert.equal(body.secret, 'whsec_…', 'only the scheme prefix shows');
    assert.deepEqual(body.headers, { Authorization: '[redacted]', 'X-Team': 'ops' });
    const chosen = await t.api.subscribe(
      { ...ok, webhookUri: 'https://example.com/chosen', secret: 'my-own-secret-0123456789' },
      'owner',
    );
    assert.equal((await t.api.get(`${SUBSCRIPTIONS}/${chosen.id}`, 'owner')).body.secret, '…');
  });
});
