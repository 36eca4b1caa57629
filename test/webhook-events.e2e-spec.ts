import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ApiErrorBody, hooklineFixture } from './support/hookline';
import { waitUntil } from './support/wait';

const EVENTS = '/api/webhooks/events';

/** GET api/webhooks/events and events/{id}: the tenant's events, newest first, and where their deliveries stand. */
describe('events API', () => {
  const t = hooklineFixture();
  const ids: Record<string, string> = {};
  let subscriptionId: string;

  before(async () => {
    ({ id: subscriptionId } = await t.api.subscribe({ webhookUri: t.receiver.url('/acme'), webhooks: ['order.*'] }, 'acme'));
    // Published one after another, so creation times are strictly increasing.
    ids.created = await t.api.publish({ webhookName: 'order.created', data: { n: 1 } }, 'acme');
    ids.customer = await t.api.publish({ webhookName: 'customer.created', data: { n: 2 } }, 'acme');
    ids.paid = await t.api.publish({ webhookName: 'order.paid', data: { n: 3 }, headers: { Authorization: 'Bearer x' } }, 'acme');
    ids.beta = await t.api.publish({ webhookName: 'order.created', data: { n: 4 } }, 'beta');
  });

  const list = async (query = '', tenant = 'acme') => {
    const { status, body } = await t.api.get(`${EVENTS}${query}`, tenant);
    assert.equal(status, 200, JSON.stringify(body));
    return body as { totalCount: number; items: { id: string; webhookName: string; creationTime: string }[] };
  };

  it("lists the tenant's events newest first, without another tenant's", async () => {
    const page = await list();
    assert.equal(page.totalCount, 3);
    assert.deepEqual(
      page.items.map((e) => e.id),
      [ids.paid, ids.customer, ids.created],
    );
    const beta = await list('', 'beta');
    assert.deepEqual(
      beta.items.map((e) => e.id),
      [ids.beta],
    );
    assert.equal((await list('', '')).totalCount, 0, 'the host sees host events only');
    assert.deepEqual(
      (await list('?sorting=creationTime%20asc')).items.map((e) => e.id),
      [ids.created, ids.customer, ids.paid],
    );
  });

  it('filters by webhook name and creation time, and pages', async () => {
    assert.deepEqual(
      (await list('?webhookName=order.created')).items.map((e) => e.id),
      [ids.created],
    );
    const all = await list('?sorting=creationTime%20asc');
    const middle = encodeURIComponent(all.items[1].creationTime);
    assert.deepEqual(
      (await list(`?creationTimeFrom=${middle}`)).items.map((e) => e.id),
      [ids.paid, ids.customer],
    );
    assert.deepEqual(
      (await list(`?creationTimeTo=${middle}`)).items.map((e) => e.id),
      [ids.customer, ids.created],
    );
    const page = await list('?skipCount=1&maxResultCount=1');
    assert.equal(page.totalCount, 3);
    assert.deepEqual(
      page.items.map((e) => e.id),
      [ids.customer],
    );
  });

  it('filters by subscription and by delivery state (of one same delivery when both are given)', async () => {
    const failing = await t.api.subscribe({ webhookUri: t.receiver.url('/failing'), webhooks: ['customer.created'] }, 'acme');
    t.receiver.on('/failing', [500]);
    const { body: settings } = await t.api.get(`/api/webhooks/subscriptions/${failing.id}`, 'acme');
    await t.api.put(`/api/webhooks/subscriptions/${failing.id}`, { ...pick(settings), maxSendAttemptCount: 1 }, 'acme');
    const failed = await t.api.publish({ webhookName: 'customer.created', data: { n: 5 } }, 'acme');
    await waitUntil(async () => (await list(`?state=failed`)).totalCount === 1);
    assert.deepEqual(
      (await list(`?subscriptionId=${failing.id}`)).items.map((e) => e.id),
      [failed],
    );
    assert.deepEqual(
      (await list(`?state=failed`)).items.map((e) => e.id),
      [failed],
    );
    await waitUntil(async () => (await list(`?subscriptionId=${subscriptionId}&state=succeeded`)).totalCount === 2);
    assert.deepEqual(
      (await list(`?subscriptionId=${subscriptionId}&state=succeeded`)).items.map((e) => e.id),
      [ids.paid, ids.created],
    );
    assert.equal((await list(`?subscriptionId=${subscriptionId}&state=failed`)).totalCount, 0);
    assert.equal(
      (await list(`?subscriptionId=${failing.id}`, 'beta')).totalCount,
      0,
      "another tenant's subscription finds nothing",
    );
  });

  it('gets one event with its data and its deliveries', async () => {
    await t.receiver.waitForRequests('/acme', 2);
    let body: any;
    await waitUntil(
      async () => {
        body = (await t.api.get(`${EVENTS}/${ids.paid}`, 'acme')).body;
        return body.deliveries?.[0]?.state === 'succeeded';
      },
      { message: () => JSON.stringify(body) },
    );
    assert.equal(body.id, ids.paid);
    assert.equal(body.webhookName, 'order.paid');
    assert.deepEqual(body.data, { n: 3 });
    assert.deepEqual(body.headers, { Authorization: '[redacted]' });
    assert.equal(body.deliveryCount, 1);
    const [delivery] = body.deliveries;
    assert.equal(delivery.subscriptionId, subscriptionId);
    assert.equal(delivery.attemptCount, 1);
    assert.ok(!Number.isNaN(Date.parse(delivery.lastAttemptAt)));
    assert.equal(delivery.nextAttemptAt, null);
    const customer = (await t.api.get(`${EVENTS}/${ids.customer}`, 'acme')).body;
    assert.deepEqual(customer.deliveries, [], 'no subscription matched customer.created');
  });

  it('answers the data exactly as published: integers beyond 2^53, -0, integer-like keys, __proto__', async () => {
    const data = '{"__proto__":{"isAdmin":true},"id":12345678901234567890,"zero":-0,"b":1,"2":"two","1":"one","n":{"x":-0}}';
    const published = await t.api.request('POST', '/api/webhooks/publish', {
      rawBody: `{"webhookName":"order.created","data":${data}}`,
      tenant: 'exact',
    });
    assert.equal(published.status, 202, JSON.stringify(published.body));
    const answer = await fetch(`${t.api.baseUrl}${EVENTS}/${published.body.webhookEventId}`, {
      headers: { authorization: `Bearer ${t.api.key}`, __tenant: 'exact' },
    });
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    const text = await answer.text();
    assert.ok(text.includes(`"data":${data},`), text);
    assert.equal(JSON.parse(text).id, published.body.webhookEventId);
  });

  it("answers 404 for another tenant's event, and for the host", async () => {
    for (const tenant of ['beta', '']) {
      const { status, body } = await t.api.get(`${EVENTS}/${ids.paid}`, tenant);
      assert.equal(status, 404);
      assert.equal(body.error.code, 'NotFound');
    }
    assert.equal((await t.api.get(`${EVENTS}/00000000-0000-4000-8000-000000000000`, 'acme')).status, 404);
  });

  const BAD: { name: string; path: string; field: string }[] = [
    { name: 'id not a UUID', path: `${EVENTS}/nope`, field: 'id' },
    { name: 'creationTimeFrom not a date', path: `${EVENTS}?creationTimeFrom=yesterday`, field: 'creationTimeFrom' },
    { name: 'creationTimeTo not a date', path: `${EVENTS}?creationTimeTo=2026-13-45`, field: 'creationTimeTo' },
    { name: 'webhookName too long', path: `${EVENTS}?webhookName=${'a'.repeat(129)}`, field: 'webhookName' },
    { name: 'unknown sorting', path: `${EVENTS}?sorting=data`, field: 'sorting' },
    { name: 'maxResultCount too large', path: `${EVENTS}?maxResultCount=1001`, field: 'maxResultCount' },
    { name: 'skipCount negative', path: `${EVENTS}?skipCount=-1`, field: 'skipCount' },
    { name: 'unknown filter', path: `${EVENTS}?color=red`, field: 'color' },
    { name: 'unknown delivery state', path: `${EVENTS}?state=lost`, field: 'state' },
    { name: 'subscriptionId not a UUID', path: `${EVENTS}?subscriptionId=42`, field: 'subscriptionId' },
  ];
  for (const c of BAD) {
    it(`${c.name} → 400 naming ${c.field}`, async () => {
      const { status, body } = await t.api.request<ApiErrorBody>('GET', c.path, { tenant: 'acme' });
      assert.equal(status, 400, JSON.stringify(body));
      assert.ok(
        body.error.details.some((d) => d.field === c.field),
        `expected '${c.field}' in ${JSON.stringify(body.error.details)}`,
      );
    });
  }
});

/** The settings of a subscription as an update sends them back. */
const pick = (s: { webhookUri: string; webhooks: string[]; concurrencyStamp: string }) => ({
  webhookUri: s.webhookUri,
  webhooks: s.webhooks,
  concurrencyStamp: s.concurrencyStamp,
});
