import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebhookSendAttempt } from '@hookline/webhooks';
import { WebhooksPermissions } from '@hookline/webhooks-management';
import { ApiClient, hooklineFixture } from './support/hookline';
import { waitUntil } from './support/wait';

/** An attempt as the API answers it (dates as JSON strings). */
type Attempt = Omit<WebhookSendAttempt, 'creationTime'> & { creationTime: string };

const ATTEMPTS = '/api/webhooks/send-attempts';
const TENANT = 'filters';

/** Send attempts: list filters, get, delete, delete-many; tenant isolation; bad input. */
describe('send attempts API', () => {
  const t = hooklineFixture();
  const ids = { ok: '', bad: '', created: '', paid: '' };
  let all: Attempt[] = [];

  const list = async (query: string, tenant: string | undefined = TENANT) => {
    const { status, body } = await t.api.get(`${ATTEMPTS}?maxResultCount=1000&${query}`, tenant);
    assert.equal(status, 200, `${query}: ${JSON.stringify(body)}`);
    return body as { totalCount: number; items: Attempt[] };
  };

  /** Attempts the receiver answered 200 "all good" (ok) or 500 "BOOM: %" (bad), for two events. */
  it('records three attempts to filter on', async () => {
    t.receiver.on('/ok', () => ({ status: 200, body: 'all good' }));
    t.receiver.on('/bad', () => ({ status: 500, body: 'BOOM: 100% broken' }));
    ids.ok = (await t.api.subscribe({ webhookUri: t.receiver.url('/ok'), webhooks: ['order.created'] }, TENANT)).id;
    ids.bad = (
      await t.api.subscribe({ webhookUri: t.receiver.url('/bad'), webhooks: ['order.*'], maxSendAttemptCount: 1 }, TENANT)
    ).id;
    ids.created = await t.api.publish({ webhookName: 'order.created', data: { n: 1 } }, TENANT);
    ids.paid = await t.api.publish({ webhookName: 'order.paid', data: { n: 2 } }, TENANT);
    // Another tenant's attempt, which no list of TENANT may show.
    await t.api.subscribe({ webhookUri: t.receiver.url('/ok'), webhooks: ['order.created'] }, 'elsewhere');
    await t.api.publish({ webhookName: 'order.created', data: { n: 3 } }, 'elsewhere');
    await waitUntil(async () => (await list('')).totalCount === 3 && (await list('', 'elsewhere')).totalCount === 1, {
      message: () => 'the attempts were not all recorded',
    });
    all = (await list('')).items;
    assert.ok(all.every((a) => a.tenantId === TENANT));
  });

  it('narrows the list by each filter', async () => {
    const by = (f: (a: Attempt) => boolean) => new Set(all.filter(f).map((a) => a.id));
    const times = all.map((a) => a.creationTime).sort();
    const cases: [string, Set<string>][] = [
      [`subscriptionId=${ids.ok}`, by((a) => a.webhookSubscriptionId === ids.ok)],
      [`subscriptionId=${ids.bad}`, by((a) => a.webhookSubscriptionId === ids.bad)],
      [`webhookEventId=${ids.paid}`, by((a) => a.webhookEventId === ids.paid)],
      [`webhookEventId=${ids.created}&subscriptionId=${ids.bad}`, by((a) => a.webhookEventId === ids.created && !a.succeeded)],
      ['state=success', by((a) => a.succeeded)],
      ['state=failed', by((a) => !a.succeeded)],
      ['responseStatusCode=500', by((a) => a.responseStatusCode === 500)],
      ['responseStatusCode=404', new Set()],
      ['responseContains=boom', by((a) => a.response?.includes('BOOM') ?? false)],
      ['responseContains=GOOD', by((a) => a.response === 'all good')],
      [`responseContains=${encodeURIComponent('100%')}`, by((a) => a.response?.includes('100%') ?? false)],
      // % and _ are not wildcards.
      [`responseContains=${encodeURIComponent('%')}`, by((a) => a.response?.includes('%') ?? false)],
      ['responseContains=_', new Set()],
      [`creationTimeFrom=${times[2]}`, by((a) => a.creationTime >= times[2])],
      [`creationTimeTo=${times[0]}`, by((a) => a.creationTime <= times[0])],
      [`creationTimeFrom=${times[0]}&creationTimeTo=${times[0]}`, by((a) => a.creationTime === times[0])],
      [`creationTimeTo=${new Date(Date.parse(times[0]) - 1000).toISOString()}`, new Set()],
    ];
    for (const [query, expected] of cases) {
      assert.ok(expected.size < all.length, `${query} should narrow the list`);
      const { totalCount, items } = await list(query);
      assert.deepEqual(new Set(items.map((a) => a.id)), expected, query);
      assert.equal(totalCount, expected.size, query);
    }
  });

  it('sorts and pages', async () => {
    for (const [sorting, key, desc] of [
      ['durationMs', 'durationMs', false],
      ['responseStatusCode desc', 'responseStatusCode', true],
      ['creationTime ASC', 'creationTime', false],
    ] as const) {
      const values = (await list(`sorting=${encodeURIComponent(sorting)}`)).items.map((a) => a[key] as number | string);
      const expected = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      assert.deepEqual(values, desc ? expected.reverse() : expected, sorting);
    }
    const newestFirst = (await list('')).items.map((a) => a.creationTime);
    assert.deepEqual(newestFirst, [...newestFirst].sort().reverse());
    const { body: page } = await t.api.get(`${ATTEMPTS}?sorting=creationTime&skipCount=1&maxResultCount=1`, TENANT);
    assert.equal(page.totalCount, 3);
    assert.deepEqual(
      page.items.map((a: Attempt) => a.id),
      [(await list('sorting=creationTime')).items[1].id],
    );
  });

  it("gets one attempt; another tenant's attempt ids answer 404 everywhere and change nothing", async () => {
    const [attempt] = all;
    const { status, body } = await t.api.get(`${ATTEMPTS}/${attempt.id}`, TENANT);
    assert.equal(status, 200);
    assert.deepEqual(body, attempt);

    const snapshot = async () => ({
      counts: await t.env.rowCounts(),
      deliveries: await t.env.query('SELECT id, state, attempt_count, attempt_base FROM webhook_deliveries ORDER BY id'),
    });
    // Another tenant's own key (every permission these routes need), the admin acting for it, and the host ('').
    const { SendAttempts, Subscriptions } = WebhooksPermissions;
    const created = await t.api.request('POST', '/api/webhooks/api-keys', {
      body: { name: 'elsewhere', permissions: [...Object.values(SendAttempts), Subscriptions.Default, Subscriptions.Update] },
      tenant: 'elsewhere',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const callers: [ApiClient, string | undefined][] = [
      [t.api.as(created.body.key), undefined],
      [t.api, 'elsewhere'],
      [t.api, ''],
    ];
    const before = await snapshot();
    const requestsBefore = t.receiver.requests().length;
    for (const [api, tenant] of callers) {
      assert.equal((await api.get(`${ATTEMPTS}/${attempt.id}`, tenant)).status, 404);
      assert.equal((await api.delete(`${ATTEMPTS}/${attempt.id}`, tenant)).status, 404);
      assert.equal((await api.post(`${ATTEMPTS}/${attempt.id}/resend`, {}, tenant)).status, 404);
      const deleted = await api.post(`${ATTEMPTS}/delete-many`, { ids: all.map((a) => a.id) }, tenant);
      assert.deepEqual([deleted.status, deleted.body], [200, { deletedCount: 0 }]);
      const resent = await api.post(`${ATTEMPTS}/resend-many`, { ids: all.map((a) => a.id) }, tenant);
      assert.deepEqual([resent.status, resent.body], [202, { queuedCount: 0 }]);
      for (const filter of ['', `subscriptionId=${ids.ok}`, `webhookEventId=${ids.created}`]) {
        const listed = await api.get(`${ATTEMPTS}?${filter}`, tenant);
        assert.equal(listed.status, 200);
        assert.ok(
          listed.body.items.every((a: Attempt) => a.tenantId !== TENANT),
          `${filter}: ${JSON.stringify(listed.body)}`,
        );
      }
      assert.equal((await api.post(`/api/webhooks/subscriptions/${ids.ok}/test`, {}, tenant)).status, 404);
      const replay = await api.post(`/api/webhooks/subscriptions/${ids.ok}/replay`, { since: all[0].creationTime }, tenant);
      assert.equal(replay.status, 404);
    }
    assert.deepEqual(await snapshot(), before);
    assert.equal(t.receiver.requests().length, requestsBefore);
  });

  it('deletes one attempt, then many (ignoring unknown ids)', async () => {
    const [first, ...rest] = all;
    assert.equal((await t.api.delete(`${ATTEMPTS}/${first.id}`, TENANT)).status, 204);
    assert.equal((await t.api.get(`${ATTEMPTS}/${first.id}`, TENANT)).status, 404);
    assert.equal((await t.api.delete(`${ATTEMPTS}/${first.id}`, TENANT)).status, 404);
    const { status, body } = await t.api.post(
      `${ATTEMPTS}/delete-many`,
      { ids: [...rest.map((a) => a.id), first.id, '00000000-0000-4000-8000-000000000000'] },
      TENANT,
    );
    assert.deepEqual([status, body], [200, { deletedCount: rest.length }]);
    assert.equal((await list('')).totalCount, 0);
    assert.equal((await list('', 'elsewhere')).totalCount, 1, "another tenant's attempt is untouched");
  });

  it('answers 400 naming the field for bad input, and writes nothing', async () => {
    const subscriptionId = ids.ok;
    const uuid = '00000000-0000-4000-8000-000000000000';
    const cases: { method: string; path: string; body?: unknown; field: string }[] = [
      { method: 'GET', path: `${ATTEMPTS}?state=maybe`, field: 'state' },
      { method: 'GET', path: `${ATTEMPTS}?responseStatusCode=abc`, field: 'responseStatusCode' },
      { method: 'GET', path: `${ATTEMPTS}?responseStatusCode=99`, field: 'responseStatusCode' },
      { method: 'GET', path: `${ATTEMPTS}?creationTimeFrom=yesterday`, field: 'creationTimeFrom' },
      { method: 'GET', path: `${ATTEMPTS}?creationTimeTo=2026-13-45T00:00:00Z`, field: 'creationTimeTo' },
      { method: 'GET', path: `${ATTEMPTS}?responseContains=`, field: 'responseContains' },
      { method: 'GET', path: `${ATTEMPTS}?responseContains=${'x'.repeat(257)}`, field: 'responseContains' },
      { method: 'GET', path: `${ATTEMPTS}?sorting=secret`, field: 'sorting' },
      { method: 'GET', path: `${ATTEMPTS}?sorting=creationTime%20up`, field: 'sorting' },
      { method: 'GET', path: `${ATTEMPTS}?subscriptionId=abc`, field: 'subscriptionId' },
      { method: 'GET', path: `${ATTEMPTS}?maxResultCount=1001`, field: 'maxResultCount' },
      { method: 'GET', path: `${ATTEMPTS}?colour=blue`, field: 'colour' },
      { method: 'GET', path: `${ATTEMPTS}/abc`, field: 'id' },
      { method: 'DELETE', path: `${ATTEMPTS}/abc`, field: 'id' },
      { method: 'POST', path: `${ATTEMPTS}/abc/resend`, body: {}, field: 'id' },
      { method: 'POST', path: `${ATTEMPTS}/delete-many`, body: {}, field: 'ids' },
      { method: 'POST', path: `${ATTEMPTS}/delete-many`, body: { ids: [] }, field: 'ids' },
      { method: 'POST', path: `${ATTEMPTS}/delete-many`, body: { ids: ['abc'] }, field: 'ids' },
      { method: 'POST', path: `${ATTEMPTS}/delete-many`, body: { ids: uuid }, field: 'ids' },
      { method: 'POST', path: `${ATTEMPTS}/delete-many`, body: { ids: Array(1001).fill(uuid) }, field: 'ids' },
      { method: 'POST', path: `${ATTEMPTS}/delete-many`, body: { ids: [uuid], all: true }, field: 'all' },
      { method: 'POST', path: `${ATTEMPTS}/resend-many`, body: { ids: [] }, field: 'ids' },
      { method: 'POST', path: `${ATTEMPTS}/resend-many`, body: { ids: [uuid, 7] }, field: 'ids' },
      { method: 'POST', path: `/api/webhooks/subscriptions/abc/test`, body: {}, field: 'id' },
      { method: 'POST', path: `/api/webhooks/subscriptions/abc/replay`, body: { since: '2026-01-01T00:00:00Z' }, field: 'id' },
    ];
    const replay = `/api/webhooks/subscriptions/${subscriptionId}/replay`;
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    for (const [body, field] of [
      [{}, 'since'],
      [{ since: 'last week' }, 'since'],
      [{ since: 1700000000000 }, 'since'],
      [{ since: '2026-02-30T00:00:00Z' }, 'since'],
      [{ since: inAnHour }, 'since'],
      [{ since: hourAgo, until: inAnHour }, 'until'],
      [{ since: hourAgo, until: hourAgo }, 'until'],
      [{ since: hourAgo, until: new Date(Date.parse(hourAgo) - 1000).toISOString() }, 'until'],
      [{ since: hourAgo, until: 'soon' }, 'until'],
      [{ since: hourAgo, onlyFailed: 'yes' }, 'onlyFailed'],
      [{ since: hourAgo, everything: true }, 'everything'],
    ] as const) {
      cases.push({ method: 'POST', path: replay, body, field });
    }

    const before = await t.env.rowCounts();
    const requestsBefore = t.receiver.requests().length;
    for (const c of cases) {
      const { status, body } = await t.api.request(c.method, c.path, { body: c.body, tenant: TENANT });
      const label = `${c.method} ${c.path.slice(0, 80)} ${JSON.stringify(c.body)?.slice(0, 80)}`;
      assert.equal(status, 400, `${label}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, 'ValidationFailed', label);
      assert.ok(
        body.error.details.some((d: { field: string }) => d.field === c.field),
        `${label} should name ${c.field}: ${JSON.stringify(body.error.details)}`,
      );
    }
    assert.deepEqual(await t.env.rowCounts(), before);
    assert.equal(t.receiver.requests().length, requestsBefore);
  });
});
