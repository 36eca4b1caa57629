import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ApiErrorBody, EXAMPLE_DEFINITIONS_FILE, hooklineFixture } from './support/hookline';
import { waitUntil } from './support/wait';

const DEFINITIONS = '/api/webhooks/definitions';

interface FileWebhook {
  name: string;
  schema?: Record<string, unknown>;
  schemaVersion?: number;
  example?: Record<string, unknown>;
}
const fileWebhooks = (
  parseYaml(readFileSync(EXAMPLE_DEFINITIONS_FILE, 'utf8')) as { groups: { webhooks: FileWebhook[] }[] }
).groups.flatMap((g) => g.webhooks);
const orderExample = structuredClone(fileWebhooks.find((w) => w.name === 'order.created')!.example!) as Record<string, any>;

/** The example definitions file as shipped: every definition has a JSON Schema of its data, which publish enforces. */
describe('the event catalog (data schemas)', () => {
  // Slower retries than other tests': the delivery below fails until the schema has changed.
  const t = hooklineFixture({
    WEBHOOKS_DEFINITIONS_FILE: EXAMPLE_DEFINITIONS_FILE,
    WEBHOOKS_RETRY_BASE_DELAY_MS: '300',
    WEBHOOKS_RETRY_MAX_DELAY_MS: '600',
  });

  const publish = (body: Record<string, unknown>, tenant?: string) => t.api.post('/api/webhooks/publish', body, tenant);
  const violations = async (data: unknown, webhookName = 'order.created') => {
    const before = await t.env.rowCounts();
    const { status, body } = await publish({ webhookName, data });
    assert.equal(status, 400, JSON.stringify(body));
    assert.deepEqual(await t.env.rowCounts(), before, 'nothing stored');
    return (body as ApiErrorBody).error.details;
  };

  it('lists each definition with its schema, version and example', async () => {
    const { status, body } = await t.api.get(DEFINITIONS);
    assert.equal(status, 200);
    for (const webhook of fileWebhooks) {
      const listed = body.items.find((d: { name: string }) => d.name === webhook.name);
      assert.ok(listed, webhook.name);
      assert.deepEqual(listed.schema, webhook.schema, webhook.name);
      assert.equal(listed.schemaVersion, webhook.schemaVersion ?? 1);
      assert.deepEqual(listed.example, webhook.example);
    }
  });

  it("accepts every definition's example as the data of a publish", async () => {
    for (const { name, example } of fileWebhooks) {
      const { status, body } = await publish({ webhookName: name, data: example });
      assert.equal(status, 202, `${name}: ${JSON.stringify(body)}`);
    }
  });

  it('answers 400 naming the JSON path and the rule of each violation, and stores nothing', async () => {
    const data = structuredClone(orderExample);
    delete data.customer.email;
    data.items[1].quantity = 'two';
    data.placedAt = 'yesterday';
    data.currency = 'euro';
    assert.deepEqual(await violations(data), [
      { field: 'data.customer.email', message: 'is required (required)' },
      { field: 'data.currency', message: 'must match pattern "^[A-Z]{3}$" (pattern)' },
      { field: 'data.items[1].quantity', message: 'must be integer (type)' },
      { field: 'data.placedAt', message: 'must match format "date-time" (format)' },
    ]);
    assert.deepEqual(await violations({ ...orderExample, orderId: undefined, items: [] }), [
      { field: 'data.orderId', message: 'is required (required)' },
      { field: 'data.items', message: 'must NOT have fewer than 1 items (minItems)' },
    ]);
    assert.deepEqual(
      await violations({ orderId: 'o-1', reason: 'bored', cancelledAt: '2026-01-01T00:00:00Z' }, 'order.cancelled'),
      [{ field: 'data.reason', message: 'must be equal to one of the allowed values (enum)' }],
    );
  });

  it('checks each tenant publish of the host the same way', async () => {
    const { status, body } = await publish({ webhookName: 'order.paid', data: { orderId: 'o-1' }, tenantIds: ['a', 'b'] });
    assert.equal(status, 400);
    assert.deepEqual(
      (body as ApiErrorBody).error.details.map((d) => d.field),
      ['data.paymentId', 'data.amount', 'data.currency', 'data.paidAt'],
    );
  });

  it('refuses a stored definition whose schema does not compile or whose example breaks it, naming the field', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ schema: { type: 'thing' } }, 'schema', /is not a valid JSON Schema \(2020-12\): .*type/],
      [{ schema: { $ref: '#/$defs/missing' } }, 'schema', /can't resolve reference/],
      [{ schema: { type: 'object', required: ['id'] }, example: {} }, 'example.id', /breaks the schema: is required/],
      [{ example: { id: 1 } }, 'example', /needs a schema/],
      [{ schemaVersion: 2 }, 'schemaVersion', /needs a schema/],
      [{ schema: [] }, 'schema', /must be a JSON Schema object/],
    ];
    for (const [extra, field, message] of cases) {
      const { status, body } = await t.api.post(DEFINITIONS, { name: 'catalog.bad', groupName: 'orders', ...extra });
      assert.equal(status, 400, JSON.stringify(extra));
      const [detail] = (body as ApiErrorBody).error.details;
      assert.equal(detail.field, field, JSON.stringify(body));
      assert.match(detail.message, message);
    }
    assert.equal(
      (await t.api.get(`${DEFINITIONS}`)).body.items.some((d: { name: string }) => d.name === 'catalog.bad'),
      false,
    );
  });

  it('versions the schema of a stored definition: a change raises it, publish checks the current one', async () => {
    const v1 = { type: 'object', required: ['refundId'], properties: { refundId: { type: 'string' } } };
    const created = await t.api.post(DEFINITIONS, {
      name: 'order.refunded',
      groupName: 'orders',
      schema: v1,
      example: { refundId: 'r-1' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.schemaVersion, 1);
    assert.equal((await publish({ webhookName: 'order.refunded', data: { refundId: 'r-1' } })).status, 202);
    assert.deepEqual(await violations({ refundId: 7 }, 'order.refunded'), [
      { field: 'data.refundId', message: 'must be string (type)' },
    ]);

    const same = await t.api.put(`${DEFINITIONS}/order.refunded`, { groupName: 'orders', schema: v1, displayName: 'Refund' });
    assert.equal(same.body.schemaVersion, 1, 'an unchanged schema keeps its version');

    const v2 = {
      type: 'object',
      required: ['refundId', 'amount'],
      properties: { refundId: { type: 'string' }, amount: { type: 'integer' } },
    };
    const stale = await t.api.put(`${DEFINITIONS}/order.refunded`, { groupName: 'orders', schema: v2, schemaVersion: 1 });
    assert.equal(stale.status, 400);
    assert.equal((stale.body as ApiErrorBody).error.details[0].field, 'schemaVersion');
    const changed = await t.api.put(`${DEFINITIONS}/order.refunded`, { groupName: 'orders', schema: v2 });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.schemaVersion, 2);
    assert.deepEqual(await violations({ refundId: 'r-2' }, 'order.refunded'), [
      { field: 'data.amount', message: 'is required (required)' },
    ]);
    assert.equal((await publish({ webhookName: 'order.refunded', data: { refundId: 'r-2', amount: 5 } })).status, 202);
  });

  it('delivers events stored under an earlier schema unchanged after the schema changes', async () => {
    await t.api.post(DEFINITIONS, {
      name: 'order.returned',
      groupName: 'orders',
      schema: { type: 'object', required: ['returnId'], properties: { returnId: { type: 'string' } } },
    });
    // The receiver fails until the schema has changed, so the delivery is sent under the new schema.
    let schemaChanged = false;
    t.receiver.on('/returns', () => ({ status: schemaChanged ? 200 : 503 }));
    await t.api.subscribe(
      { webhookUri: t.receiver.url('/returns'), webhooks: ['order.returned'], maxSendAttemptCount: 50 },
      'shop',
    );
    const data = { returnId: 'ret-1' };
    await t.api.publish({ webhookName: 'order.returned', data }, 'shop');
    await t.receiver.waitForRequests('/returns', 1);

    const incompatible = { type: 'object', required: ['rmaNumber'], properties: { rmaNumber: { type: 'integer' } } };
    const changed = await t.api.put(`${DEFINITIONS}/order.returned`, { groupName: 'orders', schema: incompatible });
    assert.equal(changed.status, 200);
    assert.equal(
      (await publish({ webhookName: 'order.returned', data }, 'shop')).status,
      400,
      'new publishes follow the new schema',
    );
    schemaChanged = true;

    const state = async () =>
      (await t.env.query<{ state: string }>(`SELECT state FROM webhook_deliveries WHERE tenant_id = 'shop'`))[0].state;
    await waitUntil(async () => (await state()) !== 'pending', { message: () => 'the delivery is still pending' });
    assert.equal(await state(), 'succeeded');
    const delivered = t.receiver.requests('/returns').at(-1)!;
    assert.deepEqual(JSON.parse(delivered.body).data, data);
  });
});
