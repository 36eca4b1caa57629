import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebhooksPermissions } from '@hookline/webhooks-management';
import { ApiResponse, hooklineFixture, startHookline } from './support/hookline';
import { TcpProxy } from './support/tcp-proxy';
import { waitUntil } from './support/wait';

const BATCH = '/api/webhooks/publish/batch';
const DATA_LIMIT = 2048;
const BODY_LIMIT = 64 * 1024;
const MAX_EVENTS = 500;
const event = (data: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  webhookName: 'order.created',
  data,
  ...extra,
});

interface BatchItem {
  status: number;
  webhookEventId?: string;
  replayed?: boolean;
  error?: { code: string; message: string; details: { field: string; message: string }[] };
}

/** `POST /api/webhooks/publish/batch`: each event published on its own, answered in order. */
describe('publish in batches', () => {
  const t = hooklineFixture({
    WEBHOOKS_MAX_EVENT_DATA_BYTES: String(DATA_LIMIT),
    HTTP_BODY_LIMIT_BYTES: String(BODY_LIMIT),
  });

  /** The answer: `items` when the batch was read, `error` when it was refused whole. */
  const batch = (
    events: unknown,
    tenant?: string,
    key?: string,
  ): Promise<ApiResponse<{ items: BatchItem[]; error: NonNullable<BatchItem['error']> }>> =>
    t.api.request('POST', BATCH, { body: { events }, tenant, key });
  const eventsWhere = async (sql: string, params: unknown[] = []) =>
    t.env.query<{ id: string; tenant_id: string | null; data: string }>(
      `SELECT id, tenant_id, data FROM webhook_events WHERE ${sql} ORDER BY creation_time, id`,
      params,
    );

  it('publishes the good events of a mixed batch and answers each bad one with its own error, in order', async () => {
    await t.api.subscribe({ webhookUri: t.receiver.url('/mixed'), webhooks: ['order.created'] }, 'mixed');
    const { status, body } = await batch(
      [
        event({ n: 1 }),
        event({ n: 2 }, { webhookName: 'no.such.webhook' }),
        event('not an object' as unknown as Record<string, unknown>),
        event({ n: 4 }, { colour: 'blue' }),
        event({ n: 5, nested: { list: [1, 'two', null] } }, { headers: { 'x-trace': 'abc' } }),
        event({ blob: 'x'.repeat(DATA_LIMIT) }),
        42,
        event({ n: 8 }, { webhookName: '' }),
      ],
      'mixed',
    );
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(
      body.items.map((i) => i.status),
      [202, 400, 400, 400, 202, 413, 400, 400],
    );
    const fieldsOf = (i: number) => body.items[i].error!.details.map((d) => d.field);
    assert.deepEqual(fieldsOf(1), ['events[1].webhookName']);
    assert.deepEqual(fieldsOf(2), ['events[2].data']);
    assert.deepEqual(fieldsOf(3), ['events[3].colour']);
    assert.deepEqual(fieldsOf(5), ['events[5].data']);
    assert.equal(body.items[5].error!.code, 'PayloadTooLarge');
    assert.deepEqual(fieldsOf(6), ['events[6]']);
    assert.ok(fieldsOf(7).every((f) => f === 'events[7].webhookName'));
    for (const i of [1, 2, 3, 6, 7]) assert.equal(body.items[i].error!.code, 'ValidationFailed');

    // Only the two good events were stored, under the acting tenant, with their data as sent.
    const stored = await eventsWhere(`tenant_id = 'mixed'`);
    assert.deepEqual(stored.map((e) => e.id).sort(), [body.items[0].webhookEventId, body.items[4].webhookEventId].sort());
    const requests = await t.receiver.waitForRequests('/mixed', 2);
    const delivered = new Map(requests.map((r) => [JSON.parse(r.body).id, JSON.parse(r.body).data]));
    assert.deepEqual(delivered.get(body.items[0].webhookEventId), { n: 1 });
    assert.deepEqual(delivered.get(body.items[4].webhookEventId), { n: 5, nested: { list: [1, 'two', null] } });
    assert.equal(requests.find((r) => JSON.parse(r.body).id === body.items[4].webhookEventId)!.headers['x-trace'], 'abc');
  });

  it("holds each event to the single publish's rules, with the same errors under events[i]", async () => {
    // Each of these is refused by POST /api/webhooks/publish; the batch must refuse it alike.
    const refused: [string, string][] = [
      ['an unknown field', '{"webhookName":"order.created","data":{},"colour":"blue"}'],
      ['a __proto__ field', '{"webhookName":"order.created","data":{},"__proto__":{"webhookName":"x"}}'],
      ['a constructor field', '{"webhookName":"order.created","data":{},"constructor":1}'],
      ['a toString field', '{"webhookName":"order.created","data":{},"toString":"x"}'],
      ['a NUL in the name', '{"webhookName":"order.created\\u0000","data":{}}'],
      ['a name too long', `{"webhookName":"${'a'.repeat(129)}","data":{}}`],
      ['a name of the wrong type', '{"webhookName":5,"data":{}}'],
      ['data not an object', '{"webhookName":"order.created","data":[1]}'],
      ['data missing', '{"webhookName":"order.created"}'],
      ['headers not an object', '{"webhookName":"order.created","data":{},"headers":"x"}'],
      ['a hop-by-hop header', '{"webhookName":"order.created","data":{},"headers":{"Connection":"close"}}'],
      ['a NUL in a header', '{"webhookName":"order.created","data":{},"headers":{"x-a":"b\\u0000"}}'],
      ['a boolean as text', '{"webhookName":"order.created","data":{},"sendExactSameData":"true"}'],
      ['a number for a boolean', '{"webhookName":"order.created","data":{},"useOnlyGivenHeaders":1}'],
    ];
    const before = (await t.env.rowCounts()).events;
    const answer = await t.api.request('POST', BATCH, {
      rawBody: `{"events":[${refused.map(([, e]) => e).join(',')}]}`,
      tenant: 'rules',
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    for (const [i, [name, rawBody]] of refused.entries()) {
      const single = await t.api.request('POST', '/api/webhooks/publish', { rawBody, tenant: 'rules' });
      assert.ok(single.status >= 400 && single.status < 500, `${name}: ${single.status}`);
      const item = answer.body.items[i];
      assert.equal(item.status, single.status, `${name}: ${JSON.stringify(item)}`);
      assert.equal(item.error!.code, single.body.error.code, name);
      assert.deepEqual(
        item.error!.details,
        single.body.error.details.map((d: { field: string; message: string }) => ({ ...d, field: `events[${i}].${d.field}` })),
        name,
      );
    }
    assert.equal((await t.env.rowCounts()).events, before);

    // Free-form objects pass untouched, keys named like object members included.
    await t.api.subscribe({ webhookUri: t.receiver.url('/rules'), webhooks: ['order.created'] }, 'rules');
    const data = '{"__proto__":{"a":1},"constructor":{"b":2},"toString":"x","n":12345678901234567890,"z":-0}';
    const kept = await t.api.request('POST', BATCH, {
      rawBody: `{"events":[{"webhookName":"order.created","data":${data},"headers":{"x-kept":"c"}}]}`,
      tenant: 'rules',
    });
    assert.equal(kept.body.items[0].status, 202, JSON.stringify(kept.body));
    const [received] = await t.receiver.waitForRequests('/rules', 1);
    assert.ok(received.body.includes(`"data":${data}`), received.body);
    assert.equal(received.headers['x-kept'], 'c');
  });

  it('answers repeated idempotency keys with the first result, per event, and refuses a reused key with other data', async () => {
    const events = [
      event({ k: 1 }, { idempotencyKey: 'batch-k1' }),
      event({ k: 2 }, { idempotencyKey: 'batch-k2' }),
      event({ k: 3 }),
    ];
    const first = await batch(events, 'idem');
    assert.deepEqual(
      first.body.items.map((i) => [i.status, i.replayed]),
      [
        [202, false],
        [202, false],
        [202, false],
      ],
    );
    const again = await batch([events[1], event({ k: 'changed' }, { idempotencyKey: 'batch-k1' }), events[0], events[2]], 'idem');
    assert.deepEqual(
      again.body.items.map((i) => i.status),
      [202, 409, 202, 202],
    );
    assert.equal(again.body.items[0].webhookEventId, first.body.items[1].webhookEventId);
    assert.equal(again.body.items[0].replayed, true);
    assert.equal(again.body.items[2].webhookEventId, first.body.items[0].webhookEventId);
    assert.equal(again.body.items[2].replayed, true);
    assert.equal(again.body.items[1].error!.code, 'Conflict');
    assert.deepEqual(
      again.body.items[1].error!.details.map((d) => d.field),
      ['events[1].idempotencyKey'],
    );
    // The event without a key is a new one each time; the keyed ones are stored once.
    assert.notEqual(again.body.items[3].webhookEventId, first.body.items[2].webhookEventId);
    assert.equal((await eventsWhere(`tenant_id = 'idem'`)).length, 4);

    // The same key in a single publish (Idempotency-Key header) with the same request answers the same event.
    const single = await t.api.request('POST', '/api/webhooks/publish', {
      body: event({ k: 1 }),
      tenant: 'idem',
      headers: { 'Idempotency-Key': 'batch-k1' },
    });
    assert.equal(single.body.webhookEventId, first.body.items[0].webhookEventId);
    assert.equal(single.headers.get('idempotent-replayed'), 'true');

    const badKey = await batch([event({}, { idempotencyKey: ' padded ' })], 'idem');
    assert.equal(badKey.body.items[0].status, 400);
    assert.deepEqual(
      badKey.body.items[0].error!.details.map((d) => d.field),
      ['events[0].idempotencyKey'],
    );
  });

  it('refuses a malformed batch as a whole (400 naming the field), storing nothing', async () => {
    const before = (await t.env.rowCounts()).events;
    const tooMany = Array.from({ length: MAX_EVENTS + 1 }, (_, i) => event({ i }));
    const cases: [string, unknown, string][] = [
      ['no events', {}, 'events'],
      ['events empty', { events: [] }, 'events'],
      ['events not a list', { events: event({}) }, 'events'],
      ['too many events', { events: tooMany }, 'events'],
      ['an unknown property', { events: [event({})], extra: true }, 'extra'],
      ['an array body', [event({})], 'body'],
    ];
    for (const [name, body, field] of cases) {
      const answer = await t.api.request('POST', BATCH, { body, tenant: 'limits' });
      assert.equal(answer.status, 400, `${name}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, 'ValidationFailed', name);
      assert.deepEqual(
        answer.body.error.details.map((d: { field: string }) => d.field),
        [field],
        name,
      );
    }
    const fits = await batch(
      Array.from({ length: MAX_EVENTS }, (_, i) => event({ i })),
      'limits',
    );
    assert.equal(fits.status, 200);
    assert.ok(fits.body.items.every((i) => i.status === 202));
    assert.equal((await t.env.rowCounts()).events, before + MAX_EVENTS);

    const tooLarge = await batch(
      Array.from({ length: 40 }, () => event({ blob: 'x'.repeat(DATA_LIMIT - 20) })),
      'limits',
    );
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.body.error.code, 'PayloadTooLarge');
    assert.equal((await t.env.rowCounts()).events, before + MAX_EVENTS);
  });

  it("keeps a tenant's batch to its own tenant: an event naming another tenant is refused (403) alone", async () => {
    await t.api.subscribe({ webhookUri: t.receiver.url('/scoped-a'), webhooks: ['order.created'] }, 'scoped-a');
    await t.api.subscribe({ webhookUri: t.receiver.url('/scoped-b'), webhooks: ['order.created'] }, 'scoped-b');
    const created = await t.api.request('POST', '/api/webhooks/api-keys', {
      body: { name: 'publisher', permissions: [WebhooksPermissions.Publish] },
      tenant: 'scoped-a',
    });
    const tenantKey: string = created.body.key;
    const answer = await batch(
      [event({ s: 1 }), event({ s: 2 }, { tenantId: 'scoped-b' }), event({ s: 3 })],
      undefined,
      tenantKey,
    );
    assert.deepEqual(
      answer.body.items.map((i) => i.status),
      [202, 403, 202],
    );
    assert.equal(answer.body.items[1].error!.code, 'Forbidden');
    assert.match(answer.body.items[1].error!.message, /events\[1\]\.tenantId/);
    // The host acting for a tenant is held to it too.
    const acting = await batch([event({ s: 4 }, { tenantId: 'scoped-b' })], 'scoped-a');
    assert.equal(acting.body.items[0].status, 403);

    assert.deepEqual(
      (await eventsWhere(`tenant_id IN ('scoped-a', 'scoped-b')`))
        .map((e) => [e.tenant_id, JSON.parse(e.data).s])
        .sort((a, b) => a[1] - b[1]),
      [
        ['scoped-a', 1],
        ['scoped-a', 3],
      ],
    );
    await t.receiver.waitForRequests('/scoped-a', 2);
    assert.equal(t.receiver.requests('/scoped-b').length, 0);

    // A key without the publish permission cannot publish a batch at all.
    const reader = await t.api.request('POST', '/api/webhooks/api-keys', {
      body: { name: 'reader', permissions: [WebhooksPermissions.Subscriptions.Default] },
      tenant: 'scoped-a',
    });
    assert.equal((await batch([event({ s: 5 })], undefined, reader.body.key)).status, 403);
  });

  it('lets the host publish for several tenants in one batch, each event delivered to its own tenant only', async () => {
    for (const tenant of ['multi-1', 'multi-2']) {
      await t.api.subscribe({ webhookUri: t.receiver.url(`/${tenant}`), webhooks: ['order.created'] }, tenant);
    }
    await t.api.subscribe({ webhookUri: t.receiver.url('/multi-host'), webhooks: ['order.created'] });
    const answer = await batch([
      event({ to: 'multi-1' }, { tenantId: 'multi-1' }),
      event({ to: 'multi-2' }, { tenantId: 'multi-2' }),
      event({ to: 'host' }),
      event({ to: 'bad' }, { tenantId: 'not a tenant!' }),
    ]);
    assert.deepEqual(
      answer.body.items.map((i) => i.status),
      [202, 202, 202, 400],
    );
    assert.deepEqual(
      answer.body.items[3].error!.details.map((d) => d.field),
      ['events[3].tenantId'],
    );
    for (const [path, i] of [
      ['/multi-1', 0],
      ['/multi-2', 1],
      ['/multi-host', 2],
    ] as const) {
      const [received] = await t.receiver.waitForRequests(path, 1);
      assert.equal(JSON.parse(received.body).id, answer.body.items[i].webhookEventId, path);
    }
    const stored = await eventsWhere(`id = ANY($1)`, [answer.body.items.slice(0, 3).map((i) => i.webhookEventId)]);
    assert.deepEqual(stored.map((e) => e.tenant_id).sort(), ['multi-1', 'multi-2', null].sort());
    // Each delivery is its event's: same tenant, created with it, in its time partition, first attempt due then.
    const deliveries = await t.env.query<{ own: boolean }>(
      `SELECT d.tenant_id IS NOT DISTINCT FROM e.tenant_id AND d.creation_time = e.creation_time
                AND d.event_creation_time = e.creation_time AND d.attempt_base = 0 AS own
       FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.webhook_event_id WHERE e.id = ANY($1)`,
      [answer.body.items.slice(0, 3).map((i) => i.webhookEventId)],
    );
    assert.deepEqual(
      deliveries.map((d) => d.own),
      [true, true, true],
    );
    await waitUntil(async () => (await t.env.query(`SELECT 1 FROM webhook_deliveries WHERE state = 'pending'`)).length === 0);
    for (const path of ['/multi-1', '/multi-2', '/multi-host']) assert.equal(t.receiver.requests(path).length, 1, path);
  });

  it('answers 503 and stores nothing when PostgreSQL is unreachable', async () => {
    const pgProxy = await TcpProxy.start(5432);
    const hookline = await startHookline(t.env, {
      ROLE: 'api',
      DATABASE_URL: t.env.databaseUrl(`postgres://postgres@127.0.0.1:${pgProxy.port}`),
    });
    try {
      const before = (await t.env.rowCounts()).events;
      await pgProxy.cut();
      const { status, body } = await hookline.api.request('POST', BATCH, {
        body: { events: [event({ down: 1 }), event({ down: 2 }, { idempotencyKey: 'down' })] },
      });
      assert.equal(status, 503, JSON.stringify(body));
      assert.equal(body.error.code, 'ServiceUnavailable');
      assert.match(body.error.message, /database is unavailable/i);
      await pgProxy.resume();
      assert.equal((await t.env.rowCounts()).events, before);
    } finally {
      await hookline.close();
      await pgProxy.close();
    }
  });
});
