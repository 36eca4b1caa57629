import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebhooksPermissions } from '@hookline/webhooks-management';
import { ApiErrorBody, RunningHookline, hooklineFixture, startHookline } from './support/hookline';
import { waitUntil } from './support/wait';

const DEFINITIONS = '/api/webhooks/definitions';
const GROUPS = '/api/webhooks/definitions/groups';

interface Definition {
  name: string;
  groupName: string;
  displayName: string;
  requiredFeatures: string[];
  isAvailable: boolean;
  source: string;
}
interface Group {
  name: string;
  displayName: string;
  source: string;
  webhooks: Definition[];
}

/**
 * Groups and definitions stored in PostgreSQL, merged with those of config/webhooks.definitions.yaml.
 * Tenant `premium` is granted Shipping.Tracking; `basic` nothing.
 */
describe('stored webhook definitions', () => {
  const t = hooklineFixture({
    WEBHOOKS_FEATURE_GRANTS: JSON.stringify({ premium: ['Shipping.Tracking'] }),
    WEBHOOKS_DEFINITIONS_REFRESH_MS: '200',
  });

  const names = async (tenant?: string) => ((await t.api.get(DEFINITIONS, tenant)).body.items as Definition[]).map((d) => d.name);
  const groups = async (tenant?: string) => (await t.api.get(GROUPS, tenant)).body.items as Group[];
  const storedCounts = async () =>
    (
      await t.env.query<{ groups: number; definitions: number; version: string }>(
        `SELECT (SELECT count(*)::int FROM webhook_definition_groups) AS groups,
                (SELECT count(*)::int FROM webhook_definitions) AS definitions,
                (SELECT version FROM webhook_definition_changes) AS version`,
      )
    )[0];
  const created = async (path: string, body: unknown) => {
    const { status, body: answer } = await t.api.post(path, body);
    assert.equal(status, 201, JSON.stringify(answer));
    return answer;
  };

  before(async () => {
    await created(GROUPS, { name: 'shipping', displayName: 'Shipping' });
    await created(DEFINITIONS, { name: 'shipment.dispatched', groupName: 'shipping', displayName: 'Shipment dispatched' });
    await created(DEFINITIONS, { name: 'shipment.tracked', groupName: 'shipping', requiredFeatures: ['Shipping.Tracking'] });
    await created(DEFINITIONS, { name: 'order.refunded', groupName: 'orders', description: 'In a group of the file' });
  });

  it('merges stored groups and definitions with those of the file, saying where each comes from', async () => {
    const all = await groups();
    const shipping = all.find((g) => g.name === 'shipping')!;
    assert.equal(shipping.source, 'store');
    assert.deepEqual(
      shipping.webhooks.map((w) => [w.name, w.displayName, w.source]),
      [
        ['shipment.dispatched', 'Shipment dispatched', 'store'],
        ['shipment.tracked', 'shipment.tracked', 'store'],
      ],
    );
    const orders = all.find((g) => g.name === 'orders')!;
    assert.equal(orders.source, 'file');
    assert.deepEqual(
      orders.webhooks.map((w) => [w.name, w.source]),
      [
        ['order.created', 'file'],
        ['order.paid', 'file'],
        ['order.cancelled', 'file'],
        ['order.refunded', 'store'],
      ],
    );
    const list = (await t.api.get(DEFINITIONS)).body;
    assert.equal(list.totalCount, list.items.length);
    const tracked = list.items.find((d: Definition) => d.name === 'shipment.tracked');
    assert.deepEqual(tracked.requiredFeatures, ['Shipping.Tracking']);
    assert.equal(tracked.groupName, 'shipping');
  });

  it('shows a tenant only the definitions its features allow, in lists and groups', async () => {
    assert.ok((await names('premium')).includes('shipment.tracked'));
    assert.ok(!(await names('basic')).includes('shipment.tracked'));
    assert.ok((await names('basic')).includes('shipment.dispatched'));
    const basicShipping = (await groups('basic')).find((g) => g.name === 'shipping')!;
    assert.deepEqual(
      basicShipping.webhooks.map((w) => w.name),
      ['shipment.dispatched'],
    );
    assert.ok(!(await groups('basic')).some((g) => g.webhooks.some((w) => w.name === 'invoice.payment_failed')));
  });

  it('makes a stored definition subscribable and publishable at once', async () => {
    await t.api.subscribe({ webhookUri: t.receiver.url('/ship'), webhooks: ['shipment.dispatched'] }, 'basic');
    const eventId = await t.api.publish({ webhookName: 'shipment.dispatched', data: { parcel: 'P-1' } }, 'basic');
    const [request] = await t.receiver.waitForRequests('/ship', 1);
    assert.equal(JSON.parse(request.body).id, eventId);
    assert.equal(JSON.parse(request.body).webhookEvent, 'shipment.dispatched');
  });

  it('updates a stored definition (PUT replaces it) and switches it off with isAvailable', async () => {
    const { status, body } = await t.api.put(`${DEFINITIONS}/order.refunded`, {
      groupName: 'shipping',
      displayName: 'Refunded',
      isAvailable: false,
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(
      [body.groupName, body.displayName, body.isAvailable, body.description],
      ['shipping', 'Refunded', false, null],
    );
    assert.ok(!(await names('basic')).includes('order.refunded'), 'switched off: offered to nobody');
    assert.ok(!(await names()).includes('order.refunded'));
    const hostView = (await groups()).find((g) => g.name === 'shipping')!;
    assert.equal(hostView.webhooks.find((w) => w.name === 'order.refunded')?.isAvailable, false, 'the host still sees it');
    const refused = await t.api.post(
      '/api/webhooks/subscriptions',
      { webhookUri: t.receiver.url('/x'), webhooks: ['order.refunded'] },
      'basic',
    );
    assert.equal(refused.status, 400);
    const renamed = await t.api.put(`${GROUPS}/shipping`, { displayName: 'Shipping and returns' });
    assert.equal(renamed.status, 200);
    assert.equal((await groups()).find((g) => g.name === 'shipping')!.displayName, 'Shipping and returns');
  });

  it('refuses to change, delete or shadow what code or the file defines (409), changing nothing', async () => {
    const before = await storedCounts();
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', DEFINITIONS, { name: 'order.created', groupName: 'orders' }, /already exists \(defined in the definitions file\)/],
      ['PUT', `${DEFINITIONS}/order.created`, { groupName: 'orders' }, /defined in the definitions file and cannot be changed/],
      ['DELETE', `${DEFINITIONS}/order.created`, undefined, /cannot be changed or deleted through the API/],
      ['POST', GROUPS, { name: 'orders' }, /already exists/],
      ['PUT', `${GROUPS}/orders`, { displayName: 'x' }, /defined in the definitions file/],
      ['DELETE', `${GROUPS}/invoices`, undefined, /defined in the definitions file/],
      ['POST', DEFINITIONS, { name: 'shipment.dispatched', groupName: 'shipping' }, /already exists \(defined through the API\)/],
      ['POST', GROUPS, { name: 'shipping' }, /already exists/],
    ];
    for (const [method, path, body, message] of cases) {
      const answer = await t.api.request<ApiErrorBody>(method, path, { body });
      assert.equal(answer.status, 409, `${method} ${path}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, 'Conflict');
      assert.match(answer.body.error.message, message);
    }
    assert.deepEqual(await storedCounts(), before);
  });

  it('refuses to delete a definition subscriptions use, naming them, and a group that has definitions', async () => {
    const other = await t.api.subscribe({ webhookUri: t.receiver.url('/y'), webhooks: ['shipment.dispatched'] }, 'premium');
    const wildcard = await t.api.subscribe({ webhookUri: t.receiver.url('/z'), webhooks: ['shipment.*'] }, 'premium');
    const before = await storedCounts();
    const used = await t.api.delete(`${DEFINITIONS}/shipment.dispatched`);
    assert.equal(used.status, 409);
    assert.match(used.body.error.message, /used by subscriptions/);
    const named = used.body.error.details.map((d: { message: string }) => d.message);
    assert.ok(named.includes(other.id), 'names the other tenant’s subscription too');
    assert.equal(named.length, 2, 'the basic subscription and the premium one; a wildcard does not hold it');
    assert.ok(!named.includes(wildcard.id));
    const nonEmpty = await t.api.delete(`${GROUPS}/shipping`);
    assert.equal(nonEmpty.status, 409);
    assert.match(nonEmpty.body.error.message, /still has definitions/);
    assert.deepEqual(await storedCounts(), before);
  });

  it('deletes an unused definition and an empty group (204), then answers 404', async () => {
    await created(GROUPS, { name: 'temporary' });
    await created(DEFINITIONS, { name: 'temp.thing', groupName: 'temporary' });
    assert.equal((await t.api.delete(`${DEFINITIONS}/temp.thing`)).status, 204);
    assert.ok(!(await names()).includes('temp.thing'));
    assert.equal((await t.api.delete(`${DEFINITIONS}/temp.thing`)).status, 404);
    assert.equal((await t.api.put(`${DEFINITIONS}/temp.thing`, { groupName: 'temporary' })).status, 404);
    assert.equal((await t.api.delete(`${GROUPS}/temporary`)).status, 204);
    assert.ok(!(await groups()).some((g) => g.name === 'temporary'));
    assert.equal((await t.api.delete(`${GROUPS}/temporary`)).status, 404);
  });

  describe('another process', () => {
    let second: RunningHookline;
    before(async () => {
      second = await startHookline(t.env, { ROLE: 'api', WEBHOOKS_DEFINITIONS_REFRESH_MS: '200' });
    });
    after(async () => {
      await second?.close();
    });

    it('sees a definition created through another process within the refresh interval', async () => {
      const { status } = await second.api.post(DEFINITIONS, { name: 'shipment.returned', groupName: 'shipping' });
      assert.equal(status, 201);
      assert.ok((await second.api.get(DEFINITIONS)).body.items.some((d: Definition) => d.name === 'shipment.returned'));
      await waitUntil(async () => (await names()).includes('shipment.returned'), {
        message: () => 'the first process never loaded shipment.returned',
      });
      assert.equal((await second.api.delete(`${DEFINITIONS}/shipment.returned`)).status, 204);
      await waitUntil(async () => !(await names()).includes('shipment.returned'));
    });
  });

  describe('who may manage them', () => {
    const writes: [string, string, unknown][] = [
      ['POST', DEFINITIONS, { name: 'tenant.made', groupName: 'shipping' }],
      ['PUT', `${DEFINITIONS}/shipment.tracked`, { groupName: 'shipping' }],
      ['DELETE', `${DEFINITIONS}/shipment.tracked`, undefined],
      ['POST', GROUPS, { name: 'tenant-group' }],
      ['PUT', `${GROUPS}/shipping`, { displayName: 'Mine' }],
      ['DELETE', `${GROUPS}/shipping`, undefined],
    ];

    it('answers 403 to a tenant (its own key, or the host acting for it) and to a host key without .Manage', async () => {
      const key = async (permissions: string[], tenant?: string) => {
        const { status, body } = await t.api.request('POST', '/api/webhooks/api-keys', {
          body: { name: 'definitions test', permissions },
          tenant,
        });
        assert.equal(status, 201, JSON.stringify(body));
        return body.key as string;
      };
      const manage = [WebhooksPermissions.Definitions.Default, WebhooksPermissions.Definitions.Manage];
      const tenantKey = await key(manage, 'premium');
      const readOnlyHostKey = await key([WebhooksPermissions.Definitions.Default]);
      const before = await storedCounts();
      for (const [method, path, body] of writes) {
        for (const [who, options] of [
          ['tenant key', { key: tenantKey }],
          ['host acting for a tenant', { tenant: 'premium' }],
          ['host key without .Manage', { key: readOnlyHostKey }],
        ] as const) {
          const { status } = await t.api.request(method, path, { body, ...options });
          assert.equal(status, 403, `${who}: ${method} ${path}`);
        }
      }
      assert.deepEqual(await storedCounts(), before);
      const visible = (await t.api.request('GET', DEFINITIONS, { key: tenantKey })).body.items.map((d: Definition) => d.name);
      assert.ok(visible.includes('shipment.tracked'), 'a tenant key reads what its features allow');
      assert.ok(!visible.includes('invoice.payment_failed'));
    });
  });

  const BAD: { name: string; method?: string; path: string; body?: unknown; field: string }[] = [
    { name: 'missing name', path: DEFINITIONS, body: { groupName: 'shipping' }, field: 'name' },
    { name: 'name with a space', path: DEFINITIONS, body: { name: 'bad name', groupName: 'shipping' }, field: 'name' },
    { name: 'name a wildcard', path: DEFINITIONS, body: { name: 'shipment.*', groupName: 'shipping' }, field: 'name' },
    { name: 'name too long', path: DEFINITIONS, body: { name: 'a'.repeat(129), groupName: 'shipping' }, field: 'name' },
    { name: 'name not a string', path: DEFINITIONS, body: { name: 5, groupName: 'shipping' }, field: 'name' },
    { name: 'missing groupName', path: DEFINITIONS, body: { name: 'x.y' }, field: 'groupName' },
    { name: 'unknown groupName', path: DEFINITIONS, body: { name: 'x.y', groupName: 'nope' }, field: 'groupName' },
    {
      name: 'blank displayName',
      path: DEFINITIONS,
      body: { name: 'x.y', groupName: 'shipping', displayName: ' ' },
      field: 'displayName',
    },
    {
      name: 'description too long',
      path: DEFINITIONS,
      body: { name: 'x.y', groupName: 'shipping', description: 'd'.repeat(1025) },
      field: 'description',
    },
    {
      name: 'requiredFeatures not a list',
      path: DEFINITIONS,
      body: { name: 'x.y', groupName: 'shipping', requiredFeatures: 'A' },
      field: 'requiredFeatures',
    },
    {
      name: 'a bad feature name',
      path: DEFINITIONS,
      body: { name: 'x.y', groupName: 'shipping', requiredFeatures: ['ok', 'not ok'] },
      field: 'requiredFeatures',
    },
    {
      name: 'a feature twice',
      path: DEFINITIONS,
      body: { name: 'x.y', groupName: 'shipping', requiredFeatures: ['A', 'A'] },
      field: 'requiredFeatures',
    },
    {
      name: 'isAvailable not boolean',
      path: DEFINITIONS,
      body: { name: 'x.y', groupName: 'shipping', isAvailable: 'no' },
      field: 'isAvailable',
    },
    { name: 'unknown field', path: DEFINITIONS, body: { name: 'x.y', groupName: 'shipping', colour: 1 }, field: 'colour' },
    { name: 'bad route name', method: 'PUT', path: `${DEFINITIONS}/bad!name`, body: { groupName: 'shipping' }, field: 'name' },
    { name: 'PUT without groupName', method: 'PUT', path: `${DEFINITIONS}/shipment.tracked`, body: {}, field: 'groupName' },
    { name: 'group name invalid', path: GROUPS, body: { name: 'a b' }, field: 'name' },
    { name: 'group displayName too long', path: GROUPS, body: { name: 'g', displayName: 'd'.repeat(257) }, field: 'displayName' },
    { name: 'bad route group name', method: 'DELETE', path: `${GROUPS}/a..b`, field: 'name' },
  ];
  for (const c of BAD) {
    it(`${c.name} → 400 naming ${c.field}`, async () => {
      const before = await storedCounts();
      const { status, body } = await t.api.request<ApiErrorBody>(c.method ?? 'POST', c.path, { body: c.body });
      assert.equal(status, 400, JSON.stringify(body));
      assert.ok(
        body.error.details.some((d) => d.field === c.field),
        `expected '${c.field}' in ${JSON.stringify(body.error.details)}`,
      );
      assert.deepEqual(await storedCounts(), before);
    });
  }
});
