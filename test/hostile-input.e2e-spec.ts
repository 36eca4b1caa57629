import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hooklineFixture } from './support/hookline';
import { waitUntil } from './support/wait';

/** The parts of the OpenAPI document this test reads. */
interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  allOf?: Schema[];
  $ref?: string;
}
interface Operation {
  parameters?: { name: string; in: string; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** What the issue's probes sent, and their kin: NUL, lone surrogates, numbers past every bound, deep nesting. */
const HOSTILE_TEXT = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '99999999999999999999',
  '1e19',
  '-1',
  '1.5',
  'NaN',
  'true',
  '__proto__',
  'constructor',
  '%00',
  '../../etc/passwd',
  "' OR 1=1 --",
  'x'.repeat(5000),
];
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const deep = (levels: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};
const hostileText = fc.oneof(fc.constantFrom(...HOSTILE_TEXT), fc.string(), fc.string({ unit: 'binary', maxLength: 20 }));
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileText,
  fc.constantFrom(1e19, -1, 0, 2 ** 53 + 1, 1.5, -0, true, null, [], {}, deep(3000), [deep(100)]),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'toString', 'x-a', '\u0000', '\ud800'), hostileText),
);

/** A value that fits the schema, so that the hostile ones next to it reach deeper than the first check. */
function plausible(schema: Schema | undefined, doc: OpenApi): fc.Arbitrary<unknown> {
  const s = resolve(schema, doc);
  if (s.example !== undefined) return fc.constant(s.example);
  if (s.enum) return fc.constantFrom(...s.enum);
  if (s.format === 'uuid') return fc.uuid();
  if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  switch (s.type) {
    case 'integer': {
      const min = Math.ceil(s.minimum ?? 0);
      return fc.integer({ min, max: Math.max(min, Math.floor(s.maximum ?? min + 1000)) });
    }
    case 'number':
      return fc.double({ min: s.minimum ?? 0, max: Math.max(s.minimum ?? 0, s.maximum ?? 1000), noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(plausible(s.items, doc), { minLength: 1, maxLength: 2 });
    case 'object':
      return fc.constant({});
    default:
      return fc.string({ minLength: 1, maxLength: 20 });
  }
}

function resolve(schema: Schema | undefined, doc: OpenApi): Schema {
  if (!schema) return {};
  if (schema.$ref) return resolve(doc.components.schemas[schema.$ref.split('/').pop()!], doc);
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s) => resolve(s, doc)));
  return schema;
}

const either = (schema: Schema | undefined, doc: OpenApi) => fc.oneof(plausible(schema, doc), hostileValue);

/** A request to one operation: each path and query parameter and body field plausible or hostile, plus stray fields. */
function requests(method: string, template: string, operation: Operation, doc: OpenApi) {
  const params = operation.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const bodySchema = resolve(operation.requestBody?.content['application/json']?.schema, doc);
  // A URL cannot carry a lone surrogate: it becomes U+FFFD, as URLSearchParams writes it.
  const asText = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? '')).replace(LONE_SURROGATE, '\ufffd');
  return fc
    .record({
      path: fc
        .tuple(...pathParams.map((p) => either(p.schema, doc).map(asText)))
        .map((values) => pathParams.reduce((path, p, i) => path.replace(`{${p.name}}`, encodeURIComponent(values[i])), template)),
      query: fc.tuple(...queryParams.map((p) => fc.option(either(p.schema, doc).map(asText), { nil: undefined }))),
      strayQuery: fc.option(fc.tuple(fc.constantFrom('__proto__', 'constructor', 'skipCount', 'x'), hostileText), {
        nil: undefined,
      }),
      body: fc.oneof(
        fc.record(Object.fromEntries(Object.entries(bodySchema.properties ?? {}).map(([name, s]) => [name, either(s, doc)])), {
          requiredKeys: [],
        }),
        hostileValue,
      ),
      strayField: fc.option(fc.tuple(fc.constantFrom('__proto__', 'constructor', 'toString', 'extra'), hostileValue), {
        nil: undefined,
      }),
    })
    .map(({ path, query, strayQuery, body, strayField }) => {
      const search = new URLSearchParams();
      queryParams.forEach((p, i) => query[i] !== undefined && search.append(p.name, query[i]!));
      if (strayQuery) search.append(...strayQuery);
      let text = method === 'get' || method === 'delete' ? undefined : JSON.stringify(body);
      if (text !== undefined && strayField && typeof body === 'object' && body !== null && !Array.isArray(body)) {
        const stray = `${JSON.stringify(strayField[0])}:${JSON.stringify(strayField[1]) ?? 'null'}`;
        text = text === '{}' ? `{${stray}}` : `${text.slice(0, -1)},${stray}}`;
      }
      return { path: `${path}${search.size ? `?${search}` : ''}`, body: text };
    });
}

/**
 * The issue's promise, checked by property: whatever arrives on any route (any DTO field, query or path
 * parameter), the answer is below 500, and a 4xx leaves every table as it was.
 */
describe('hostile input on every route', () => {
  // The API alone: no worker changes tables between the snapshots around a request.
  const t = hooklineFixture({ ROLE: 'api' });

  /** One fingerprint of every table's content. */
  const snapshot = async () =>
    (
      await t.env.query<{ table: string; fingerprint: string }>(`
        SELECT c.relname AS table,
               (xpath('/row/f/text()', query_to_xml(format('SELECT md5(coalesce(string_agg(t::text, %L ORDER BY t::text), %L)) AS f FROM %I t', ',', '', c.relname), false, true, '')))[1]::text AS fingerprint
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'migrations' ORDER BY 1`)
    )
      .map((r) => `${r.table}:${r.fingerprint}`)
      .join(' ');

  it('answers below 500, and a refusal changes no table', async () => {
    const doc = (await t.api.get<OpenApi>('/api/docs-json')).body;
    // Rows for the routes to find: a subscription, an event and its delivery.
    await t.api.subscribe({ webhookUri: t.receiver.url('/hostile'), webhooks: ['order.created'] });
    await t.api.publish({ webhookName: 'order.created', data: { id: 1 } });
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/webhooks'))
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ method, path, op })));
    assert.ok(operations.length >= 30, `only ${operations.length} operations in the OpenAPI document`);
    for (const { method, path, op } of operations) {
      await fc.assert(
        fc.asyncProperty(requests(method, path, op, doc), async (request) => {
          // An erasure an earlier request started (DELETE tenants/{id}, 202) changes tables in the background.
          await waitUntil(
            async () => (await t.env.query(`SELECT 1 FROM webhook_tenant_erasures WHERE state = 'running'`)).length === 0,
          );
          const before = await snapshot();
          const { status, body } = await t.api.request(method.toUpperCase(), request.path, { rawBody: request.body });
          const what = `${method.toUpperCase()} ${request.path.slice(0, 200)} ${request.body?.slice(0, 200)}: ${status} ${JSON.stringify(body)?.slice(0, 300)}`;
          assert.ok(status < 500, what);
          if (status >= 400) assert.equal(await snapshot(), before, `a ${status} changed a table: ${what}`);
        }),
        { numRuns: 25 },
      );
    }
  });
});
