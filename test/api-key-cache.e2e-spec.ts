import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebhooksPermissions } from '@hookline/webhooks-management';
import { RunningHookline, ScratchEnvironment, startHookline } from './support/hookline';
import { waitUntil } from './support/wait';

const KEYS = '/api/webhooks/api-keys';
const SUBSCRIPTIONS = '/api/webhooks/subscriptions';
/** The bound of the process that does not serve the revocation, short so the test is quick. */
const SHORT_CACHE_MS = 1_000;

/**
 * Two service processes on one database, as two API replicas: `long` trusts a verified key for a minute,
 * `short` for a second. A revocation takes effect at once where it is made and within the bound elsewhere.
 */
describe('verified API keys are cached with a bounded lifetime', () => {
  const env = new ScratchEnvironment();
  let long: RunningHookline;
  let short: RunningHookline;

  before(async () => {
    long = await startHookline(env, { WEBHOOKS_API_KEY_CACHE_MS: '60000' });
    short = await startHookline(env, { WEBHOOKS_API_KEY_CACHE_MS: String(SHORT_CACHE_MS) });
  });
  after(async () => {
    await short?.close();
    await long?.close();
    await env.drop();
  });

  async function createKey(tenant: string): Promise<{ id: string; key: string }> {
    const { status, body } = await long.api.request('POST', KEYS, {
      body: { name: 'cached', permissions: [WebhooksPermissions.Subscriptions.Default] },
      tenant,
    });
    assert.equal(status, 201, JSON.stringify(body));
    return body;
  }

  const listWith = async (app: RunningHookline, key: string) => (await app.api.as(key).get(SUBSCRIPTIONS)).status;

  it('a verified key is not read again while cached: it keeps working with its table unreadable', async () => {
    const { key } = await createKey('tenant-c');
    assert.equal(await listWith(long, key), 200);
    await env.query('ALTER TABLE webhook_api_keys RENAME TO webhook_api_keys_hidden');
    try {
      assert.equal(await listWith(long, key), 200);
    } finally {
      await env.query('ALTER TABLE webhook_api_keys_hidden RENAME TO webhook_api_keys');
    }
  });

  it('a revoked key stops at once in the revoking process and within the bound in another', async () => {
    const { id, key } = await createKey('tenant-r');
    assert.equal(await listWith(long, key), 200);
    assert.equal(await listWith(short, key), 200);

    const revoked = await long.api.delete(`${KEYS}/${id}`, 'tenant-r');
    const revokedAt = Date.now();
    assert.equal(revoked.status, 204);
    // `long` caches for a minute, yet the revocation it served removed the key from its cache.
    assert.equal(await listWith(long, key), 401);
    await waitUntil(async () => (await listWith(short, key)) === 401, {
      // The entry was read before the revocation, so it is gone by revokedAt + the bound; the margin covers a request.
      timeoutMs: SHORT_CACHE_MS + 500,
      message: () => `the other process still accepted the revoked key ${Date.now() - revokedAt} ms after the revocation`,
    });
    // And stays refused once the cache has had to read it again.
    assert.equal(await listWith(short, key), 401);
  });
});
