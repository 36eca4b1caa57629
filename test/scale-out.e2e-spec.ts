import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WEBHOOKS_MIGRATIONS } from '@hookline/webhooks-management';
import { ScratchEnvironment, startHookline } from './support/hookline';
import { TestReceiver } from './support/receiver';

/** Several processes on one PostgreSQL and Redis: they may start at the same moment on a database that does not exist yet. */
describe('scale-out', () => {
  it('starts an API and two workers together on a missing database, then shares the work', async () => {
    const env = new ScratchEnvironment();
    const receiver = await TestReceiver.start();
    const started = await Promise.allSettled([
      startHookline(env, { ROLE: 'api' }),
      startHookline(env, { ROLE: 'worker' }),
      startHookline(env, { ROLE: 'worker' }),
    ]);
    try {
      for (const s of started) assert.equal(s.status, 'fulfilled', s.status === 'rejected' ? String(s.reason) : '');
      const [api] = started.map((s) => (s as PromiseFulfilledResult<Awaited<ReturnType<typeof startHookline>>>).value);
      const [{ count: migrations }] = await env.query<{ count: string }>('SELECT count(*) FROM webhooks_migrations');
      assert.equal(Number(migrations), WEBHOOKS_MIGRATIONS.length, 'each migration ran once');

      await api.api.subscribe({ webhookUri: receiver.url('/shared'), webhooks: ['order.created'] }, 't');
      for (let i = 0; i < 20; i++) await api.api.publish({ webhookName: 'order.created', data: { i } }, 't');
      const requests = await receiver.waitForRequests('/shared', 20);
      assert.equal(new Set(requests.map((r) => r.headers['webhook-id'])).size, 20, 'each delivery sent once');
    } finally {
      for (const s of started) if (s.status === 'fulfilled') await s.value.close();
      await receiver.close();
      await env.drop();
    }
  });
});
