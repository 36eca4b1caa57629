import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Parser } from '@asyncapi/parser';
import { EXAMPLE_DEFINITIONS_FILE, hooklineFixture } from './support/hookline';

const DOCUMENT = '/api/webhooks/asyncapi.json';

/** GET /api/webhooks/asyncapi.json describes the caller's catalog in AsyncAPI 3.0, as the official parser reads it. */
describe('the AsyncAPI document', () => {
  const t = hooklineFixture({
    WEBHOOKS_DEFINITIONS_FILE: EXAMPLE_DEFINITIONS_FILE,
    WEBHOOKS_FEATURE_GRANTS: JSON.stringify({ premium: ['Billing.Advanced'] }),
  });
  // Every request is made first: parsing takes seconds of CPU, during which the in-process service's idle
  // keep-alive connections time out under the client.
  const documents: Record<string, any> = {};
  let definitions: { name: string; schema: unknown; example: unknown; schemaVersion: number }[];
  let unauthenticated: number;

  const documentOf = async (tenant: string) => {
    const { status, body } = await t.api.get(DOCUMENT, tenant);
    assert.equal(status, 200, JSON.stringify(body));
    return body;
  };

  before(async () => {
    documents.premium = await documentOf('premium');
    documents.basic = await documentOf('basic');
    definitions = (await t.api.get('/api/webhooks/definitions', 'premium')).body.items;
    const created = await t.api.post('/api/webhooks/definitions', {
      name: 'order.archived',
      groupName: 'orders',
      schema: { type: 'object', properties: { orderId: { type: 'string' } } },
    });
    assert.equal(created.status, 201);
    documents.basicAfterChange = await documentOf('basic');
    unauthenticated = (await t.api.request('GET', DOCUMENT, { key: null })).status;
  });

  /** The parser's view of a document; fails on any error it reports. */
  async function parse(body: unknown) {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(body));
    const errors = diagnostics.filter((d) => d.severity === 0).map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`);
    assert.deepEqual(errors, []);
    assert.ok(document);
    return document;
  }

  it('passes the AsyncAPI parser, with one channel, operation and message per webhook and its data schema', async () => {
    const body = documents.premium;
    const document = await parse(body);
    assert.equal(body.asyncapi, '3.0.0');
    assert.deepEqual(
      document
        .channels()
        .all()
        .map((c) => c.id())
        .sort(),
      definitions.map((d) => d.name).sort(),
    );
    assert.equal(document.operations().all().length, definitions.length);
    for (const definition of definitions) {
      const message = body.components.messages[definition.name];
      assert.deepEqual(message.payload.properties.data, definition.schema, definition.name);
      assert.deepEqual(message.examples[0].payload.data, definition.example);
      assert.equal(message['x-schema-version'], definition.schemaVersion);
      const operation = document.operations().get(`send.${definition.name}`)!;
      assert.equal(operation.action(), 'send');
      assert.deepEqual(
        operation
          .messages()
          .all()
          .map((m) => m.name()),
        [definition.name],
      );
    }
  });

  it("lists only the webhooks the caller's tenant may see, and changes its version when the catalog changes", async () => {
    const { basic, premium, basicAfterChange } = documents;
    const channels = (await parse(basic)).channels();
    assert.ok(!channels.has('invoice.payment_failed'));
    assert.ok(channels.has('invoice.finalized'));
    assert.ok(!channels.has('order.archived'));
    assert.ok('invoice.payment_failed' in premium.channels);
    assert.notEqual(basic.info.version, premium.info.version);
    assert.ok('order.archived' in basicAfterChange.channels);
    assert.notEqual(basicAfterChange.info.version, basic.info.version);
  });

  it('answers 401 without a credential', () => {
    assert.equal(unauthenticated, 401);
  });
});
