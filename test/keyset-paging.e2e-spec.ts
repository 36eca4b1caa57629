import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { hooklineFixture } from './support/hookline';

const TENANT = 'pager';
const ROWS = 23;

/** `cursor` and `nextCursor` on the events and send attempts lists, beside skipCount. */
describe('keyset paging of the admin lists', () => {
  const t = hooklineFixture();
  let subscriptionId: string;

  before(async () => {
    ({ id: subscriptionId } = await t.api.subscribe({ webhookUri: 'https://example.com/pager', webhooks: ['order.*'] }, TENANT));
    // Seeded by SQL: creation times to the microsecond, several rows sharing one, so a page boundary falls
    // inside a run of equal times. Another tenant's rows interleave.
    for (const tenant of [TENANT, 'other']) {
      await t.env.query(
        `WITH e AS (
           INSERT INTO webhook_events (id, tenant_id, webhook_name, data, creation_time)
           SELECT gen_random_uuid(), $1, 'order.created', '{}',
                  timestamptz '2026-01-01 00:00:00.000001+00' + (i / 3) * interval '1.000007 second'
           FROM generate_series(1, $2::int) i RETURNING id, creation_time
         ), d AS (
           INSERT INTO webhook_deliveries (id, webhook_event_id, webhook_subscription_id, tenant_id, state, attempt_count,
             creation_time, event_creation_time)
           SELECT gen_random_uuid(), id, $3, $1, 'succeeded', 1, creation_time, creation_time FROM e
           RETURNING id, webhook_event_id, creation_time
         )
         INSERT INTO webhook_send_attempts (id, delivery_id, webhook_event_id, webhook_subscription_id, tenant_id, attempt_number,
           succeeded, response_status_code, request_headers, duration_ms, creation_time, event_creation_time)
         SELECT gen_random_uuid(), id, webhook_event_id, $3, $1, 1, true, 200, '{}', 5, creation_time, creation_time FROM d`,
        [tenant, ROWS, subscriptionId],
      );
    }
  });

  /** Follows nextCursor from the first page to the last; answers the ids in the order they came. */
  async function allByCursor(path: string, query: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const url: string = `${path}?maxResultCount=4&${query}${cursor ? `&cursor=${cursor}` : ''}`;
      const { status, body } = await t.api.get<{ totalCount: number; items: { id: string }[]; nextCursor: string | null }>(
        url,
        TENANT,
      );
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.totalCount, ROWS, 'the total counts every row, not those after the cursor');
      ids.push(...body.items.map((i) => i.id));
      cursor = body.nextCursor;
      if (cursor === null) return ids;
      assert.equal(body.items.length, 4);
    }
    throw new Error('paging never ended');
  }

  const expectedIds = async (table: string, direction: 'ASC' | 'DESC') =>
    (
      await t.env.query<{ id: string }>(
        `SELECT id FROM ${table} WHERE tenant_id = $1 ORDER BY creation_time ${direction}, id ${direction}`,
        [TENANT],
      )
    ).map((r) => r.id);

  it('pages through every event once, in order, both ways, beside skipCount', async () => {
    assert.deepEqual(await allByCursor('/api/webhooks/events', ''), await expectedIds('webhook_events', 'DESC'));
    const ascending = await expectedIds('webhook_events', 'ASC');
    assert.deepEqual(await allByCursor('/api/webhooks/events', 'sorting=creationTime%20asc'), ascending);
    const bySkip = await t.api.get('/api/webhooks/events?maxResultCount=4&skipCount=4&sorting=creationTime%20asc', TENANT);
    assert.deepEqual(
      bySkip.body.items.map((i: { id: string }) => i.id),
      ascending.slice(4, 8),
    );
  });

  it('pages through every send attempt once, in order, and refuses a cursor with another sorting', async () => {
    const path = '/api/webhooks/send-attempts';
    assert.deepEqual(await allByCursor(path, ''), await expectedIds('webhook_send_attempts', 'DESC'));
    const ascending = await expectedIds('webhook_send_attempts', 'ASC');
    assert.deepEqual(await allByCursor(path, 'sorting=creationTime%20asc'), ascending);
    assert.deepEqual(await allByCursor(path, `subscriptionId=${subscriptionId}&sorting=creationTime%20asc`), ascending);

    const first = await t.api.get(`${path}?maxResultCount=4`, TENANT);
    const refused = await t.api.get(`${path}?sorting=durationMs&cursor=${first.body.nextCursor}`, TENANT);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.details[0].field, 'cursor');
    const bySize = await t.api.get(`${path}?maxResultCount=4&sorting=durationMs`, TENANT);
    assert.equal(bySize.body.nextCursor, null, 'another order pages by skipCount');
  });

  it('answers 400 naming cursor to anything but a cursor it gave', async () => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const hostile = [
      'not-a-cursor',
      encode(['2026-02-30T00:00:00Z', randomUUID()]),
      encode(['0000-01-01T00:00:00Z', randomUUID()]),
      encode(['2026-01-01T00:00:00Z', 'not-a-uuid']),
      encode(['2026-01-01T00:00:00Z']),
      encode({ creationTime: '2026-01-01T00:00:00Z', id: randomUUID() }),
      encode(['2026-01-01T00:00:00Z', randomUUID()]).repeat(10),
    ];
    for (const path of ['/api/webhooks/events', '/api/webhooks/send-attempts']) {
      for (const cursor of hostile) {
        const { status, body } = await t.api.get(`${path}?cursor=${encodeURIComponent(cursor)}`, TENANT);
        assert.equal(status, 400, `${path} ${cursor}: ${JSON.stringify(body)}`);
        assert.equal(body.error.details[0].field, 'cursor');
      }
    }
  });
});
