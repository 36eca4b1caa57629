import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiErrorBody, hooklineFixture, sendsSettled } from './support/hookline';
import { verifiesWithSecret } from './support/signatures';
import { waitUntil } from './support/wait';

const SUBSCRIPTIONS = '/api/webhooks/subscriptions';
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

/** Subscriptions API (issue 4): CRUD, concurrency, duplicates, activation, availables, secrets, isolation. */
describe('subscriptions API', () => {
  // One attempt per delivery and deactivation after two failures in a row keep the failure tests short.
  const t = hooklineFixture({
    WEBHOOKS_MAX_SEND_ATTEMPT_COUNT: '1',
    WEBHOOKS_MAX_CONSECUTIVE_FAILURES: '2',
    WEBHOOKS_FEATURE_GRANTS: JSON.stringify({ gold: ['Billing.Advanced'] }),
  });

  const subscriptionCount = async (tenant: string) =>
    Number(
      (await t.env.query<{ n: string }>('SELECT count(*) AS n FROM webhook_subscriptions WHERE tenant_id = $1', [tenant]))[0].n,
    );

  it('create, get, list, update, delete: a round trip', async () => {
    const created = await t.api.subscribe(
      { webhookUri: 'https://crud.example.com/hooks', webhooks: ['order.created'], headers: { Authorization: 'Bearer x' } },
      'crud',
    );
    const got = await t.api.get(`${SUBSCRIPTIONS}/${created.id}`, 'crud');
    assert.equal(got.status, 200);
    assert.equal(got.body.secret, 'whsec_…');
    assert.equal(got.body.headers.Authorization, '[redacted]');

    const listed = await t.api.get(SUBSCRIPTIONS, 'crud');
    assert.equal(listed.body.totalCount, 1);
    assert.equal(listed.body.items[0].id, created.id);
    assert.equal(listed.body.items[0].secret, got.body.secret);

    // The redacted header sent back unchanged keeps its stored value.
    const update = {
      webhookUri: 'https://crud.example.com/v2',
      webhooks: ['order.created', 'order.paid'],
      headers: got.body.headers,
      description: 'v2',
      concurrencyStamp: got.body.concurrencyStamp,
    };
    const updated = await t.api.put(`${SUBSCRIPTIONS}/${created.id}`, update, 'crud');
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.body.webhookUri, update.webhookUri);
    assert.deepEqual(updated.body.webhooks, update.webhooks);
    assert.equal(updated.body.description, 'v2');
    assert.notEqual(updated.body.concurrencyStamp, got.body.concurrencyStamp);
    const [row] = await t.env.query<{ headers: Record<string, string>; secret: string }>(
      'SELECT headers, secret FROM webhook_subscriptions WHERE id = $1',
      [created.id],
    );
    assert.deepEqual(row.headers, { Authorization: 'Bearer x' });
    assert.equal(row.secret, created.secret, 'an update leaves the secret alone');

    assert.equal((await t.api.delete(`${SUBSCRIPTIONS}/${created.id}`, 'crud')).status, 204);
    assert.equal((await t.api.get(`${SUBSCRIPTIONS}/${created.id}`, 'crud')).status, 404);
    assert.equal((await t.api.delete(`${SUBSCRIPTIONS}/${created.id}`, 'crud')).status, 404);
    assert.equal((await t.api.get(SUBSCRIPTIONS, 'crud')).body.totalCount, 0);
  });

  it('an update from a stale concurrencyStamp is a 409 and changes nothing', async () => {
    const { id } = await t.api.subscribe({ webhookUri: 'https://stale.example.com/a', webhooks: ['order.created'] }, 'stale');
    const { concurrencyStamp } = (await t.api.get(`${SUBSCRIPTIONS}/${id}`, 'stale')).body;
    const first = await t.api.put(
      `${SUBSCRIPTIONS}/${id}`,
      { webhookUri: 'https://stale.example.com/b', webhooks: ['order.created'], concurrencyStamp },
      'stale',
    );
    assert.equal(first.status, 200);
    const second = await t.api.put<ApiErrorBody>(
      `${SUBSCRIPTIONS}/${id}`,
      { webhookUri: 'https://stale.example.com/c', webhooks: ['order.created'], concurrencyStamp },
      'stale',
    );
    assert.equal(second.status, 409);
    assert.equal(second.body.error.details[0].field, 'concurrencyStamp');
    const now = (await t.api.get(`${SUBSCRIPTIONS}/${id}`, 'stale')).body;
    assert.equal(now.webhookUri, 'https://stale.example.com/b');
    assert.equal(now.concurrencyStamp, first.body.concurrencyStamp);
  });

  it('a second subscription of the same tenant, URI and a shared webhook name is a 409 naming the first, even when raced', async () => {
    const uri = 'https://dup.example.com/hooks';
    const first = await t.api.subscribe({ webhookUri: uri, webhooks: ['order.created', 'order.paid'] }, 'dup');
    const again = await t.api.post<ApiErrorBody>(SUBSCRIPTIONS, { webhookUri: uri, webhooks: ['order.paid'] }, 'dup');
    assert.equal(again.status, 409);
    assert.match(again.body.error.message, new RegExp(first.id));
    assert.match(again.body.error.message, /order\.paid/);

    // Other names, another URI or another tenant are not duplicates.
    const other = await t.api.subscribe({ webhookUri: uri, webhooks: ['customer.created'] }, 'dup');
    await t.api.subscribe({ webhookUri: `${uri}/2`, webhooks: ['order.paid'] }, 'dup');
    await t.api.subscribe({ webhookUri: uri, webhooks: ['order.paid'] }, 'dup-other');

    // Updating into a duplicate is refused too.
    const stamp = (await t.api.get(`${SUBSCRIPTIONS}/${other.id}`, 'dup')).body.concurrencyStamp;
    const update = await t.api.put<ApiErrorBody>(
      `${SUBSCRIPTIONS}/${other.id}`,
      { webhookUri: uri, webhooks: ['customer.created', 'order.created'], concurrencyStamp: stamp },
      'dup',
    );
    assert.equal(update.status, 409);
    assert.match(update.body.error.message, new RegExp(first.id));

    // Eight creates of one new URI at once: exactly one wins.
    const raced = await Promise.all(
      Array.from({ length: 8 }, () =>
        t.api.post(SUBSCRIPTIONS, { webhookUri: `${uri}/race`, webhooks: ['order.created'] }, 'dup'),
      ),
    );
    assert.deepEqual(raced.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409, 409, 409]);
    assert.equal(await subscriptionCount('dup'), 4);
  });

  it('lists with filters, paging and whitelisted sorting', async () => {
    const tenant = 'lister';
    const a = await t.api.subscribe({ webhookUri: 'https://Alpha.example.com/x', webhooks: ['order.created'] }, tenant);
    // The clock moves past a's creation time, then past the cut: a < cut < b, to the millisecond.
    const cut = await clockPast(new Date((a as unknown as { creationTime: string }).creationTime));
    await clockPast(cut);
    const b = await t.api.subscribe(
      { webhookUri: 'https://beta.example.com/x', webhooks: ['order.paid', 'customer.created'] },
      tenant,
    );
    const c = await t.api.subscribe(
      { webhookUri: 'https://gamma.example.com/x', webhooks: ['order.*'], isActive: false },
      tenant,
    );
    const ids = async (query: string) => {
      const { status, body } = await t.api.get(`${SUBSCRIPTIONS}?${query}`, tenant);
      assert.equal(status, 200, JSON.stringify(body));
      return body.items.map((s: { id: string }) => s.id);
    };
    assert.deepEqual(await ids(''), [c.id, b.id, a.id]);
    assert.deepEqual(await ids('webhookUri=ALPHA'), [a.id]);
    assert.deepEqual(await ids('webhookUri=example.com%2Fx&isActive=true'), [b.id, a.id]);
    assert.deepEqual(await ids('isActive=false'), [c.id]);
    assert.deepEqual(await ids('webhookName=order.paid'), [b.id]);
    assert.deepEqual(await ids(`creationTimeFrom=${cut.toISOString()}`), [c.id, b.id]);
    assert.deepEqual(await ids(`creationTimeTo=${cut.toISOString()}`), [a.id]);
    assert.deepEqual(await ids('sorting=webhookUri'), [a.id, b.id, c.id]);
    assert.deepEqual(await ids('sorting=creationTime%20asc&skipCount=1&maxResultCount=1'), [b.id]);
    assert.equal((await t.api.get(`${SUBSCRIPTIONS}?maxResultCount=1`, tenant)).body.totalCount, 3);
    // A % in the filter is a literal character, not a wildcard.
    assert.deepEqual(await ids('webhookUri=%25'), []);
  });

  it('deactivation by failures and by hand; activation resets the failure count', async () => {
    t.receiver.on('/flaky', [500]);
    const { id } = await t.api.subscribe({ webhookUri: t.receiver.url('/flaky'), webhooks: ['customer.created'] }, 'flaky');
    const state = async () => (await t.api.get(`${SUBSCRIPTIONS}/${id}`, 'flaky')).body;
    for (let i = 1; i <= 2; i++) {
      await t.api.publish({ webhookName: 'customer.created', data: { i } }, 'flaky');
      await t.receiver.waitForRequests('/flaky', i);
    }
    await waitUntil(async () => (await state()).isActive === false);
    const deactivated = await state();
    assert.equal(deactivated.consecutiveFailureCount, 2);
    assert.match(deactivated.deactivationReason, /2 consecutive failed attempts/);

    const activated = await t.api.post(`${SUBSCRIPTIONS}/${id}/activate`, undefined, 'flaky');
    assert.equal(activated.status, 200);
    assert.equal(activated.body.isActive, true);
    assert.equal(activated.body.consecutiveFailureCount, 0);
    assert.equal(activated.body.deactivatedAt, null);
    assert.equal(activated.body.deactivationReason, null);
    const [row] = await t.env.query<{ n: number }>(
      'SELECT consecutive_failure_count AS n FROM webhook_subscriptions WHERE id = $1',
      [id],
    );
    assert.equal(row.n, 0);

    // Active again, it receives; one more failure does not deactivate it (the count starts over).
    await t.api.publish({ webhookName: 'customer.created', data: { i: 3 } }, 'flaky');
    await t.receiver.waitForRequests('/flaky', 3);
    await waitUntil(async () => (await state()).consecutiveFailureCount === 1);
    assert.equal((await state()).isActive, true);

    const manual = await t.api.post(`${SUBSCRIPTIONS}/${id}/deactivate`, undefined, 'flaky');
    assert.equal(manual.status, 200);
    assert.equal(manual.body.isActive, false);
    assert.equal(manual.body.deactivationReason, 'manual');
    assert.ok(manual.body.deactivatedAt);
    await t.api.publish({ webhookName: 'customer.created', data: { i: 4 } }, 'flaky');
    await t.env.deliveriesSettled();
    assert.equal(t.receiver.requests('/flaky').length, 3, 'an inactive subscription receives nothing');
  });

  it('availables: groups with only the webhooks the tenant is granted', async () => {
    const names = async (tenant: string) => {
      const { status, body } = await t.api.get(`${SUBSCRIPTIONS}/availables`, tenant);
      assert.equal(status, 200);
      return Object.fromEntries(
        body.items.map((g: { name: string; displayName: string; webhooks: { name: string }[] }) => [
          g.name,
          g.webhooks.map((w) => w.name),
        ]),
      );
    };
    const gold = await names('gold');
    assert.deepEqual(gold.invoices, ['invoice.finalized', 'invoice.payment_failed']);
    assert.deepEqual(gold.orders, ['order.created', 'order.paid', 'order.cancelled']);
    const basic = await names('basic');
    assert.deepEqual(basic.invoices, ['invoice.finalized']);
    assert.deepEqual(basic.customers, ['customer.created']);
  });

  it('reveal-secret shows the secret the create answer showed; get and list mask it', async () => {
    const { id, secret } = await t.api.subscribe(
      { webhookUri: 'https://reveal.example.com/', webhooks: ['order.created'] },
      'reveal',
    );
    const revealed = await t.api.post(`${SUBSCRIPTIONS}/${id}/reveal-secret`, undefined, 'reveal');
    assert.equal(revealed.status, 200);
    assert.deepEqual(revealed.body, {
      secret,
      previousSecret: null,
      previousSecretExpiresAt: null,
      publicKey: null,
      previousPublicKey: null,
    });
    assert.notEqual((await t.api.get(`${SUBSCRIPTIONS}/${id}`, 'reveal')).body.secret, secret);
    assert.ok(!JSON.stringify((await t.api.get(SUBSCRIPTIONS, 'reveal')).body).includes(secret));
  });

  it('rotate-secret: both secrets sign during the overlap, only the new one after it', async () => {
    const tenant = 'rotate';
    const { id, secret: s0 } = await t.api.subscribe(
      { webhookUri: t.receiver.url('/rotate'), webhooks: ['order.created'] },
      tenant,
    );
    const deliver = async (n: number) => {
      await t.api.publish({ webhookName: 'order.created', data: { n } }, tenant);
      return (await t.receiver.waitForRequests('/rotate', n))[n - 1];
    };

    const first = await t.api.post(`${SUBSCRIPTIONS}/${id}/rotate-secret`, {}, tenant);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const s1: string = first.body.secret;
    assert.notEqual(s1, s0);
    assert.equal(first.body.previousSecret, s0);
    // The default overlap: 24 h.
    const overlapMs = new Date(first.body.previousSecretExpiresAt).getTime() - Date.now();
    assert.ok(overlapMs > 23.9 * 3600_000 && overlapMs <= 24 * 3600_000, `overlap ${overlapMs} ms`);
    assert.deepEqual((await t.api.post(`${SUBSCRIPTIONS}/${id}/reveal-secret`, undefined, tenant)).body, first.body);
    const shown = async () => (await t.api.get(`${SUBSCRIPTIONS}/${id}`, tenant)).body.previousSecretExpiresAt;
    assert.equal(await shown(), first.body.previousSecretExpiresAt, 'a get says until when the old secret signs');

    const during = await deliver(1);
    assert.equal(
      String(during.headers['webhook-signature'])
        .split(' ')
        .filter((s) => s.startsWith('v1,')).length,
      2,
    );
    assert.ok(verifiesWithSecret(s1, during), 'the new secret verifies during the overlap');
    assert.ok(verifiesWithSecret(s0, during), 'the old secret verifies during the overlap');

    // A chosen secret with a one-second overlap: once it has passed, only the newest secret verifies.
    const s2 = `whsec_${Buffer.from('a chosen secret of 32 bytes long').toString('base64')}`;
    const second = await t.api.post(`${SUBSCRIPTIONS}/${id}/rotate-secret`, { secret: s2, overlapSeconds: 1 }, tenant);
    assert.equal(second.status, 200);
    assert.equal(second.body.secret, s2);
    assert.equal(second.body.previousSecret, s1);
    const expiresAt = new Date(second.body.previousSecretExpiresAt).getTime();
    await waitUntil(() => Date.now() > expiresAt + 50, { timeoutMs: 5_000 });
    const after = await deliver(2);
    assert.equal(String(after.headers['webhook-signature']).split(' ').length, 1);
    assert.ok(verifiesWithSecret(s2, after), 'the new secret verifies after the overlap');
    assert.ok(!verifiesWithSecret(s1, after), 'the replaced secret no longer verifies');
    assert.ok(!verifiesWithSecret(s0, after));
    assert.equal(await shown(), null, 'and, once it has stopped, that none does');
    assert.deepEqual((await t.api.post(`${SUBSCRIPTIONS}/${id}/reveal-secret`, undefined, tenant)).body, {
      secret: s2,
      previousSecret: null,
      previousSecretExpiresAt: null,
      publicKey: null,
      previousPublicKey: null,
    });

    // overlapSeconds 0 drops the old secret at once.
    const third = await t.api.post(`${SUBSCRIPTIONS}/${id}/rotate-secret`, { overlapSeconds: 0 }, tenant);
    assert.equal(third.body.previousSecret, null);
  });

  it('delete-many deletes the tenant own ones (their history stays, nothing pending), ignores other tenants and says how many', async () => {
    t.receiver.on('/doomed', [500]);
    const mine = await t.api.subscribe(
      { webhookUri: t.receiver.url('/doomed'), webhooks: ['order.cancelled'], maxSendAttemptCount: 100 },
      'deleter',
    );
    const mine2 = await t.api.subscribe({ webhookUri: 'https://two.example.com/', webhooks: ['order.cancelled'] }, 'deleter');
    const theirs = await t.api.subscribe(
      { webhookUri: 'https://theirs.example.com/', webhooks: ['order.cancelled'] },
      'bystander',
    );
    // A delivery that keeps being retried: deleting the subscription stops it for good.
    await t.api.publish({ webhookName: 'order.cancelled', data: {} }, 'deleter');
    await t.receiver.waitForRequests('/doomed', 1);

    const answer = await t.api.post(
      `${SUBSCRIPTIONS}/delete-many`,
      { ids: [mine.id, mine2.id, theirs.id, NO_SUCH_ID] },
      'deleter',
    );
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { deletedCount: 2 });
    assert.equal(await subscriptionCount('deleter'), 0);
    assert.equal(await subscriptionCount('bystander'), 1);
    let states: string[] = [];
    await waitUntil(
      async () => {
        const rows = await t.env.query<{ state: string }>(
          'SELECT state FROM webhook_deliveries WHERE webhook_subscription_id = $1',
          [mine.id],
        );
        states = rows.map((r) => r.state);
        return !states.includes('pending');
      },
      { message: () => `deliveries of the deleted subscription: ${states}` },
    );
    assert.deepEqual(states, ['abandoned'], 'the delivery stays, abandoned');
    // Nothing is pending and the scheduler holds nothing (no retry waiting): no send can follow.
    await sendsSettled(t.env, t.hookline);
    const [{ attempts }] = await t.env.query<{ attempts: string }>(
      'SELECT count(*) AS attempts FROM webhook_send_attempts WHERE webhook_subscription_id = $1',
      [mine.id],
    );
    assert.equal(t.receiver.requests('/doomed').length, Number(attempts), 'every send was recorded, none after the delete');
  });

  it("another tenant's subscription: 404 on every id route, absent from lists, unchanged", async () => {
    const { id } = await t.api.subscribe({ webhookUri: 'https://owner.example.com/', webhooks: ['order.created'] }, 'owner');
    const before = (await t.env.query('SELECT * FROM webhook_subscriptions WHERE id = $1', [id]))[0];
    const stamp = before.concurrency_stamp;
    const routes: [string, string, unknown?][] = [
      ['GET', ''],
      ['PUT', '', { webhookUri: 'https://intruder.example.com/', webhooks: ['order.created'], concurrencyStamp: stamp }],
      ['DELETE', ''],
      ['POST', '/activate'],
      ['POST', '/deactivate'],
      ['POST', '/reveal-secret'],
      ['POST', '/rotate-secret', {}],
    ];
    for (const tenant of ['intruder', undefined]) {
      for (const [method, suffix, body] of routes) {
        const { status } = await t.api.request(method, `${SUBSCRIPTIONS}/${id}${suffix}`, { body, tenant });
        assert.equal(status, 404, `${method} ${suffix} as ${tenant ?? 'host'}`);
      }
      const list = await t.api.get(SUBSCRIPTIONS, tenant);
      assert.ok(!list.body.items.some((s: { id: string }) => s.id === id));
      assert.deepEqual((await t.api.post(`${SUBSCRIPTIONS}/delete-many`, { ids: [id] }, tenant)).body, { deletedCount: 0 });
    }
    assert.deepEqual((await t.env.query('SELECT * FROM webhook_subscriptions WHERE id = $1', [id]))[0], before);
  });

  describe('bad input: 400 naming the field, nothing written', () => {
    const ok = { webhookUri: 'https://bad.example.com/', webhooks: ['order.created'] };
    let subscriptionId = '';
    const path = (suffix: string) => `${SUBSCRIPTIONS}/${subscriptionId}${suffix}`;
    const cases: { name: string; method: string; path: () => string; body?: unknown; field: string }[] = [
      { name: 'list: sorting not whitelisted', method: 'GET', path: () => `${SUBSCRIPTIONS}?sorting=secret`, field: 'sorting' },
      {
        name: 'list: sorting injection',
        method: 'GET',
        path: () => `${SUBSCRIPTIONS}?sorting=creationTime;drop`,
        field: 'sorting',
      },
      { name: 'list: isActive not boolean', method: 'GET', path: () => `${SUBSCRIPTIONS}?isActive=yes`, field: 'isActive' },
      {
        name: 'list: bad date',
        method: 'GET',
        path: () => `${SUBSCRIPTIONS}?creationTimeFrom=yesterday`,
        field: 'creationTimeFrom',
      },
      {
        name: 'list: maxResultCount too big',
        method: 'GET',
        path: () => `${SUBSCRIPTIONS}?maxResultCount=100000`,
        field: 'maxResultCount',
      },
      { name: 'list: unknown filter', method: 'GET', path: () => `${SUBSCRIPTIONS}?tenantId=other`, field: 'tenantId' },
      { name: 'get: id not a UUID', method: 'GET', path: () => `${SUBSCRIPTIONS}/42`, field: 'id' },
      { name: 'update: no stamp', method: 'PUT', path: () => path(''), body: ok, field: 'concurrencyStamp' },
      {
        name: 'update: webhookUri not http(s)',
        method: 'PUT',
        path: () => path(''),
        body: { ...ok, webhookUri: 'ftp://bad.example.com/', concurrencyStamp: 'x' },
        field: 'webhookUri',
      },
      {
        name: 'update: unknown webhook',
        method: 'PUT',
        path: () => path(''),
        body: { ...ok, webhooks: ['order.exploded'], concurrencyStamp: 'x' },
        field: 'webhooks[0]',
      },
      {
        name: 'update: webhook needing a feature',
        method: 'PUT',
        path: () => path(''),
        body: { ...ok, webhooks: ['invoice.payment_failed'], concurrencyStamp: 'x' },
        field: 'webhooks[0]',
      },
      {
        name: 'update: header with CR/LF',
        method: 'PUT',
        path: () => path(''),
        body: { ...ok, headers: { 'x-a': 'b\r\nx: y' }, concurrencyStamp: 'x' },
        field: 'headers.x-a',
      },
      {
        name: 'update: secret is not updatable',
        method: 'PUT',
        path: () => path(''),
        body: { ...ok, secret: 'a-secret-of-sixteen-chars', concurrencyStamp: 'x' },
        field: 'secret',
      },
      {
        name: 'delete-many: no ids',
        method: 'POST',
        path: () => `${SUBSCRIPTIONS}/delete-many`,
        body: { ids: [] },
        field: 'ids',
      },
      {
        name: 'delete-many: not UUIDs',
        method: 'POST',
        path: () => `${SUBSCRIPTIONS}/delete-many`,
        body: { ids: ['x'] },
        field: 'ids',
      },
      {
        name: 'delete-many: too many ids',
        method: 'POST',
        path: () => `${SUBSCRIPTIONS}/delete-many`,
        body: { ids: Array.from({ length: 1001 }, () => NO_SUCH_ID) },
        field: 'ids',
      },
      {
        name: 'rotate: short secret',
        method: 'POST',
        path: () => path('/rotate-secret'),
        body: { secret: 'short' },
        field: 'secret',
      },
      {
        name: 'rotate: negative overlap',
        method: 'POST',
        path: () => path('/rotate-secret'),
        body: { overlapSeconds: -1 },
        field: 'overlapSeconds',
      },
      {
        name: 'rotate: overlap past 30 days',
        method: 'POST',
        path: () => path('/rotate-secret'),
        body: { overlapSeconds: 31 * 86400 },
        field: 'overlapSeconds',
      },
    ];

    it('answers every case with 400 and the field, and leaves the rows as they were', async () => {
      ({ id: subscriptionId } = await t.api.subscribe(ok, 'bad'));
      const before = await t.env.query('SELECT * FROM webhook_subscriptions ORDER BY id');
      const counts = await t.env.rowCounts();
      for (const c of cases) {
        const { status, body } = await t.api.request<ApiErrorBody>(c.method, c.path(), { body: c.body, tenant: 'bad' });
        assert.equal(status, 400, `${c.name}: ${JSON.stringify(body)}`);
        assert.ok(
          body.error.details.some((d) => d.field === c.field),
          `${c.name}: expected field ${c.field}, got ${JSON.stringify(body.error.details)}`,
        );
      }
      assert.deepEqual(await t.env.rowCounts(), counts);
      assert.deepEqual(await t.env.query('SELECT * FROM webhook_subscriptions ORDER BY id'), before);
    });
  });
});

/** Waits until the clock is past `time`, and answers the time then. */
async function clockPast(time: Date): Promise<Date> {
  await waitUntil(() => Date.now() > time.getTime(), { intervalMs: 1 });
  return new Date();
}
