import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { SecretCipher } from '@hookline/webhooks-core';
import { RunningHookline, ScratchEnvironment, hooklineSettings, startHookline } from './support/hookline';
import { HooklineProcess } from './support/hookline-process';
import { TestReceiver } from './support/receiver';
import { verifiesWithSecret } from './support/signatures';

const run = promisify(execFile);
const SUBSCRIPTIONS = '/api/webhooks/subscriptions';
/** Subscriptions written straight to the table, in plain text: more than one page of the start-up pass. */
const BULK = 1_200;

const newKey = () => randomBytes(32);
const keyList = (...keys: [string, Buffer][]) => keys.map(([id, key]) => `${id}:${key.toString('base64')}`).join(',');

/** Subscription secrets and the secrets a rotation replaced are encrypted at rest, under rotating keys. */
describe('secrets encrypted at rest', () => {
  const env = new ScratchEnvironment();
  const [k1, k2] = [newKey(), newKey()];
  let receiver: TestReceiver;
  let running: RunningHookline[] = [];
  /** Secrets given out through the API, by subscription id: current and replaced. */
  const known = new Map<string, { secret: string; previousSecret: string | null }>();

  const start = async (settings: Record<string, string>) => {
    const hookline = await startHookline(env, settings);
    running.push(hookline);
    return hookline;
  };
  const closeAll = async () => {
    await Promise.all(running.map((h) => h.close()));
    running = [];
  };
  const pgDump = async () => (await run('pg_dump', ['--no-owner', env.databaseUrl()], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  const storedSecrets = () =>
    env.query<{ id: string; secret: string; previous_secret: string | null }>(
      'SELECT id, secret, previous_secret FROM webhook_subscriptions ORDER BY id',
    );

  before(async () => {
    receiver = await TestReceiver.start();
  });
  after(async () => {
    await closeAll();
    await receiver?.close();
    await env.drop();
  });

  it('without a key, stores secrets as given (what the start-up pass later finds)', async () => {
    const { api } = await start({});
    for (const path of ['/a', '/b']) {
      const { id, secret } = await api.subscribe({ webhookUri: receiver.url(path), webhooks: ['order.paid'] }, 't1');
      known.set(id, { secret, previousSecret: null });
    }
    // A rotation with an overlap keeps the replaced secret: it must be encrypted too.
    const [rotatedId, { secret: replaced }] = [...known][0];
    const rotated = await api.post(`${SUBSCRIPTIONS}/${rotatedId}/rotate-secret`, { overlapSeconds: 3600 }, 't1');
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    known.set(rotatedId, { secret: rotated.body.secret, previousSecret: replaced });
    await env.query(
      `INSERT INTO webhook_subscriptions (id, tenant_id, webhook_uri, secret, webhooks, concurrency_stamp)
       SELECT gen_random_uuid(), 'bulk', 'http://127.0.0.1:9/' || g, 'bulk-plain-secret-' || g, ARRAY['order.paid'], 's'
       FROM generate_series(1, $1::int) g`,
      [BULK],
    );
    await closeAll();
    const dump = await pgDump();
    assert.ok(dump.includes(replaced) && dump.includes('bulk-plain-secret-'), 'in plain text before a key is set');
  });

  it('two processes starting together with a key encrypt every plain secret once; pg_dump shows none', async () => {
    const settings = { WEBHOOKS_ENCRYPTION_KEYS: keyList(['k1', k1]) };
    const [first] = await Promise.all([start(settings), start(settings)]);

    const dump = await pgDump();
    for (const { secret, previousSecret } of known.values()) {
      assert.ok(!dump.includes(secret), 'no current secret in the dump');
      if (previousSecret) assert.ok(!dump.includes(previousSecret), 'no replaced secret in the dump');
    }
    assert.ok(!dump.includes('bulk-plain-secret-'), 'no secret written in plain text stays in plain text');
    assert.match(dump, /enc:v1:k1:/);

    // Each value was encrypted exactly once (encrypting an encrypted value would decrypt to the envelope).
    const cipher = new SecretCipher([{ id: 'k1', key: k1 }]);
    const rows = await storedSecrets();
    assert.equal(rows.length, BULK + known.size);
    for (const row of rows) {
      assert.match(row.secret, /^enc:v1:k1:/);
      const plain = cipher.decrypt(row.secret, row.id);
      const given = known.get(row.id);
      if (given) {
        assert.equal(plain, given.secret);
        assert.equal(row.previous_secret && cipher.decrypt(row.previous_secret, row.id), given.previousSecret);
      } else {
        assert.match(plain, /^bulk-plain-secret-\d+$/);
      }
    }
    assert.equal(new Set(rows.map((r) => cipher.decrypt(r.secret, r.id))).size, rows.length);

    // The API and the send path read them decrypted: both secrets of the rotated subscription sign.
    const [rotatedId, secrets] = [...known][0];
    const revealed = await first.api.post(`${SUBSCRIPTIONS}/${rotatedId}/reveal-secret`, undefined, 't1');
    assert.equal(revealed.body.secret, secrets.secret);
    assert.equal(revealed.body.previousSecret, secrets.previousSecret);
    await first.api.publish({ webhookName: 'order.paid', data: { n: 1 } }, 't1');
    const [request] = await receiver.waitForRequests('/a', 1);
    assert.ok(verifiesWithSecret(secrets.secret, request) && verifiesWithSecret(secrets.previousSecret!, request));
    await closeAll();
  });

  it('after a key rotation, reads accept the older key, writes use the newest, and the command moves every row', async () => {
    const both = { WEBHOOKS_ENCRYPTION_KEYS: keyList(['k2', k2], ['k1', k1]) };
    const { api } = await start(both);
    const [rotatedId, secrets] = [...known][0];
    assert.equal((await api.post(`${SUBSCRIPTIONS}/${rotatedId}/reveal-secret`, undefined, 't1')).body.secret, secrets.secret);
    const created = await api.subscribe({ webhookUri: receiver.url('/c'), webhooks: ['order.paid'] }, 't1');
    known.set(created.id, { secret: created.secret, previousSecret: null });
    const [row] = await env.query<{ secret: string }>('SELECT secret FROM webhook_subscriptions WHERE id = $1', [created.id]);
    assert.match(row.secret, /^enc:v1:k2:/);

    const { stdout, stderr } = await run(
      process.execPath,
      [resolve(__dirname, '../apps/webhooks-host/src/reencrypt-secrets.js')],
      {
        env: { ...process.env, ...hooklineSettings(env, { ...both, LOG_LEVEL: 'log' }) },
      },
    );
    assert.match(
      stdout + stderr,
      new RegExp(`Re-encrypted the secrets of ${BULK + known.size - 1} subscriptions under key 'k2'`),
    );
    const rows = await storedSecrets();
    assert.ok(rows.every((r) => r.secret.startsWith('enc:v1:k2:') && (r.previous_secret?.startsWith('enc:v1:k2:') ?? true)));
    await closeAll();

    // The older key can go now: the newest alone reads everything, and the send path signs with it.
    const { api: k2Only } = await start({ WEBHOOKS_ENCRYPTION_KEYS: keyList(['k2', k2]) });
    for (const [id, { secret, previousSecret }] of known) {
      const revealed = await k2Only.post(`${SUBSCRIPTIONS}/${id}/reveal-secret`, undefined, 't1');
      assert.deepEqual([revealed.body.secret, revealed.body.previousSecret], [secret, previousSecret]);
    }
    await k2Only.publish({ webhookName: 'order.paid', data: { n: 2 } }, 't1');
    const [request] = await receiver.waitForRequests('/c', 1);
    assert.ok(verifiesWithSecret(created.secret, request));
    await closeAll();
  });

  it('refuses to start when rows are encrypted under a key it lacks; warns without a key; needs one in production', async () => {
    await assert.rejects(
      HooklineProcess.start(env, { WEBHOOKS_ENCRYPTION_KEYS: keyList(['k3', newKey()]) }),
      /encrypted under keys that are not configured: 'k2' \(\d+ subscriptions\)/,
    );
    await assert.rejects(HooklineProcess.start(env, { NODE_ENV: 'production' }), /required when NODE_ENV=production/);
    // No key at all, on a database whose secrets are encrypted: refused as well, after the warning.
    await assert.rejects(
      HooklineProcess.start(env, {}),
      (e: Error) => /No WEBHOOKS_ENCRYPTION_KEY/.test(e.message) && /not configured: 'k2'/.test(e.message),
    );
  });
});
