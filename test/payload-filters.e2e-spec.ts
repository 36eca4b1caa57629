import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiErrorBody, hooklineFixture } from './support/hookline';

const SUBSCRIPTIONS = '/api/webhooks/subscriptions';

/** Subscriptions that filter on the event's data receive only the events that pass; the others nothing. */
describe('payload filters on subscriptions', () => {
  const t = hooklineFixture();

  /** The `n` of every event data a path received. */
  const received = (path: string) => t.receiver.requests(path).map((r) => JSON.parse(r.body).data.n as number);

  it('refuses an invalid filter on create and update, naming the field, and stores nothing', async () => {
    const before = await t.env.rowCounts();
    const bad = await t.api.post(
      SUBSCRIPTIONS,
      { webhookUri: t.receiver.url('/x'), webhooks: ['order.created'], filter: { $or: [{ total: { $gt: true } }] } },
      'strict',
    );
    assert.equal(bad.status, 400);
    assert.deepEqual((bad.body as ApiErrorBody).error.details, [
      { field: 'filter.$or[0].total.$gt', message: 'must be a number or a string' },
    ]);
    const notObject = await t.api.post(
      SUBSCRIPTIONS,
      { webhookUri: t.receiver.url('/x'), webhooks: ['order.created'], filter: [1] },
      'strict',
    );
    assert.equal(notObject.status, 400);
    assert.equal((notObject.body as ApiErrorBody).error.details[0].field, 'filter');
    // Read as the nearest double, this id stands for several integers: no comparison with it would be exact.
    const bigId = await t.api.request('POST', SUBSCRIPTIONS, {
      tenant: 'strict',
      rawBody: `{"webhookUri":"${t.receiver.url('/x')}","webhooks":["order.created"],"filter":{"$or":[{"id":12345678901234567890}]}}`,
    });
    assert.equal(bigId.status, 400);
    assert.equal((bigId.body as ApiErrorBody).error.details[0].field, 'filter.$or[0].id');
    assert.deepEqual(await t.env.rowCounts(), before);

    const { id } = await t.api.subscribe({ webhookUri: t.receiver.url('/x'), webhooks: ['order.created'] }, 'strict');
    const { concurrencyStamp } = (await t.api.get(`${SUBSCRIPTIONS}/${id}`, 'strict')).body;
    const update = await t.api.put(
      `${SUBSCRIPTIONS}/${id}`,
      { webhookUri: t.receiver.url('/x'), webhooks: ['order.created'], filter: { status: { $regex: 'x' } }, concurrencyStamp },
      'strict',
    );
    assert.equal(update.status, 400);
    assert.equal((update.body as ApiErrorBody).error.details[0].field, 'filter.status.$regex');
    assert.equal((await t.api.get(`${SUBSCRIPTIONS}/${id}`, 'strict')).body.concurrencyStamp, concurrencyStamp, 'not changed');
  });

  it('delivers to each subscription only the events whose data passes its filter', async () => {
    const big = { total: { $gte: 100 } };
    const euOrGold = { $or: [{ 'customer.country': { $in: ['FR', 'DE'] } }, { customer: { tier: 'gold' } }] };
    const all = await t.api.subscribe({ webhookUri: t.receiver.url('/all'), webhooks: ['order.created'] }, 'shop');
    const bigOnes = await t.api.subscribe({ webhookUri: t.receiver.url('/big'), webhooks: ['order.*'], filter: big }, 'shop');
    await t.api.subscribe({ webhookUri: t.receiver.url('/eu-or-gold'), webhooks: ['order.created'], filter: euOrGold }, 'shop');
    await t.api.subscribe({ webhookUri: t.receiver.url('/empty'), webhooks: ['order.created'], filter: {} }, 'shop');
    assert.deepEqual((await t.api.get(`${SUBSCRIPTIONS}/${bigOnes.id}`, 'shop')).body.filter, big);
    assert.equal((await t.api.get(`${SUBSCRIPTIONS}/${all.id}`, 'shop')).body.filter, null);

    const events = [
      { n: 1, total: 50, customer: { country: 'GB', tier: 'basic' } },
      { n: 2, total: 150, customer: { country: 'FR', tier: 'basic' } },
      { n: 3, total: 500, customer: { country: 'GB', tier: 'gold' } },
      { n: 4, customer: { country: 'DE' } },
    ];
    const deliveryCounts: number[] = [];
    for (const data of events) {
      const { status, body } = await t.api.post('/api/webhooks/publish', { webhookName: 'order.created', data }, 'shop');
      assert.equal(status, 202);
      const [row] = await t.env.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM webhook_deliveries WHERE webhook_event_id = $1',
        [body.webhookEventId],
      );
      deliveryCounts.push(row.count);
    }
    await t.env.deliveriesSettled();
    assert.deepEqual(received('/all').sort(), [1, 2, 3, 4]);
    assert.deepEqual(received('/empty').sort(), [1, 2, 3, 4], 'an empty filter passes everything');
    assert.deepEqual(received('/big').sort(), [2, 3]);
    assert.deepEqual(received('/eu-or-gold').sort(), [2, 3, 4]);
    assert.deepEqual(deliveryCounts, [2, 4, 4, 3], 'a filtered-out subscription gets no delivery row');
  });

  it('applies a changed filter to the next publish', async () => {
    const { id } = await t.api.subscribe(
      { webhookUri: t.receiver.url('/changing'), webhooks: ['order.paid'], filter: { currency: 'EUR' } },
      'changes',
    );
    await t.api.publish({ webhookName: 'order.paid', data: { n: 1, currency: 'EUR' } }, 'changes');
    await t.api.publish({ webhookName: 'order.paid', data: { n: 2, currency: 'USD' } }, 'changes');
    const { concurrencyStamp } = (await t.api.get(`${SUBSCRIPTIONS}/${id}`, 'changes')).body;
    const updated = await t.api.put(
      `${SUBSCRIPTIONS}/${id}`,
      { webhookUri: t.receiver.url('/changing'), webhooks: ['order.paid'], filter: { currency: 'USD' }, concurrencyStamp },
      'changes',
    );
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    await t.api.publish({ webhookName: 'order.paid', data: { n: 3, currency: 'EUR' } }, 'changes');
    await t.api.publish({ webhookName: 'order.paid', data: { n: 4, currency: 'USD' } }, 'changes');
    await t.env.deliveriesSettled();
    assert.deepEqual(received('/changing').sort(), [1, 4]);
  });

  it("filters each tenant's subscriptions when the host publishes to several tenants", async () => {
    await t.api.subscribe(
      { webhookUri: t.receiver.url('/t1'), webhooks: ['order.cancelled'], filter: { reason: 'fraud' } },
      't1',
    );
    await t.api
      .subscribe({ webhookUri: t.receiver.url('/t2'), webhooks: ['order.cancelled'], filter: { reason: { $ne: 1 } } }, 't2')
      .then(
        () => assert.fail('$ne is not an operator'),
        (e: Error) => assert.match(e.message, /400.*filter\.reason\.\$ne/),
      );
    await t.api.subscribe(
      { webhookUri: t.receiver.url('/t2'), webhooks: ['order.cancelled'], filter: { $not: { reason: 'fraud' } } },
      't2',
    );
    const { status } = await t.api.post('/api/webhooks/publish', {
      webhookName: 'order.cancelled',
      data: { n: 1, reason: 'fraud' },
      tenantIds: ['t1', 't2'],
    });
    assert.equal(status, 202);
    await t.env.deliveriesSettled();
    assert.deepEqual(received('/t1'), [1]);
    assert.deepEqual(received('/t2'), []);
  });
});
