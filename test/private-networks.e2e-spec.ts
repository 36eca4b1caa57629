import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hooklineFixture } from './support/hookline';
import { waitUntil } from './support/wait';

/** SSRF guard, on by default: a tenant's webhook cannot reach loopback or private addresses. */
describe('private networks refused (the default)', () => {
  const t = hooklineFixture({ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'false' });

  it('refuses a subscription to a literal private address, naming webhookUri', async () => {
    for (const host of ['127.0.0.1', '[::1]', '169.254.169.254', '10.0.0.7']) {
      const { status, body } = await t.api.post('/api/webhooks/subscriptions', {
        webhookUri: `http://${host}:${t.receiver.port}/x`,
        webhooks: ['order.created'],
      });
      assert.equal(status, 400, host);
      assert.equal(body.error.details[0].field, 'webhookUri');
      assert.match(body.error.details[0].message, /private or reserved address/);
    }
    assert.equal((await t.env.rowCounts()).subscriptions, 0);
  });

  it('refuses at send time a name that resolves to a private address, recording why', async () => {
    await t.api.subscribe({
      webhookUri: `http://localhost:${t.receiver.port}/via-name`,
      webhooks: ['order.created'],
      maxSendAttemptCount: 1,
    });
    const eventId = await t.api.publish({ webhookName: 'order.created', data: { ssrf: true } });
    await waitUntil(async () => (await t.api.get(`/api/webhooks/send-attempts?webhookEventId=${eventId}`)).body.totalCount === 1);
    const [attempt] = (await t.api.get(`/api/webhooks/send-attempts?webhookEventId=${eventId}`)).body.items;
    assert.equal(attempt.succeeded, false);
    assert.equal(attempt.responseStatusCode, null);
    assert.match(attempt.error, /localhost is (127\.0\.0\.1|::1), a private or reserved address/);
    await t.env.deliveriesSettled();
    assert.equal(t.receiver.requests().length, 0, 'nothing reached the private receiver');
  });

  it('diagnose checks reachability through the same guard: a name resolving to a private address is unreachable', async () => {
    const { id } = await t.api.subscribe({
      webhookUri: `http://localhost:${t.receiver.port}/diagnosed`,
      webhooks: ['customer.created'],
    });
    const { status, body } = await t.api.get(`/api/webhooks/subscriptions/${id}/diagnose`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.reachability.reachable, false);
    assert.match(body.reachability.error, /localhost is (127\.0\.0\.1|::1), a private or reserved address/);
    assert.match(body.recommendations[0], /^Unreachable/);
  });

  it('an update to a literal private address is refused like a create, naming webhookUri', async () => {
    const created = await t.api.subscribe({ webhookUri: 'https://example.com/public', webhooks: ['order.paid'] });
    const { concurrencyStamp } = (await t.api.get(`/api/webhooks/subscriptions/${created.id}`)).body;
    const { status, body } = await t.api.put(`/api/webhooks/subscriptions/${created.id}`, {
      webhookUri: 'http://169.254.169.254/latest',
      webhooks: ['order.paid'],
      concurrencyStamp,
    });
    assert.equal(status, 400);
    assert.equal(body.error.details[0].field, 'webhookUri');
    assert.equal((await t.api.get(`/api/webhooks/subscriptions/${created.id}`)).body.webhookUri, 'https://example.com/public');
  });

  /** Every IPv6 form that embeds 127.0.0.1, the unspecified addresses, and a sample of each special-purpose range. */
  const HOSTILE_HOSTS = [
    '[::]',
    '0.0.0.0',
    '[::127.0.0.1]',
    '[::ffff:127.0.0.1]',
    '[::ffff:0:127.0.0.1]',
    '[64:ff9b::127.0.0.1]',
    '[64:ff9b:1::7f00:1]',
    '[2002:7f00:1::1]',
    '[2001:0:7f00:1::1]',
    '[2001:0:4136:e378:8000:63bf:80ff:fffe]', // Teredo, client 127.0.0.1
    '192.0.0.170',
    '198.18.0.1',
    '224.0.0.1',
    '240.0.0.1',
    '[ff02::1]',
  ];

  it('refuses at create time every IPv6 form of a private IPv4 address, and the special-purpose ranges', async () => {
    const before = await t.env.rowCounts();
    for (const host of HOSTILE_HOSTS) {
      const { status, body } = await t.api.post('/api/webhooks/subscriptions', {
        webhookUri: `http://${host}:${t.receiver.port}/x`,
        webhooks: ['order.created'],
      });
      assert.equal(status, 400, `${host}: ${JSON.stringify(body)}`);
      assert.equal(body.error.details[0].field, 'webhookUri', host);
    }
    assert.deepEqual(await t.env.rowCounts(), before);
  });

  it('refuses them at send time too (a subscription stored before the rule), reaching nothing', async () => {
    // A receiver on every local address of both families: a send that got past the guard would reach it.
    let reached = 0;
    const local = http.createServer((_, res) => {
      reached++;
      res.end('ok');
    });
    await new Promise<void>((resolve) => local.listen(0, '::', resolve));
    const { port } = local.address() as AddressInfo;
    try {
      for (const host of HOSTILE_HOSTS) {
        const { id } = await t.api.subscribe(
          {
            webhookUri: `https://example.com/${encodeURIComponent(host)}`,
            webhooks: ['customer.created'],
            maxSendAttemptCount: 1,
          },
          'sendtime',
        );
        await t.env.query('UPDATE webhook_subscriptions SET webhook_uri = $1 WHERE id = $2', [`http://${host}:${port}/x`, id]);
      }
      const eventId = await t.api.publish({ webhookName: 'customer.created', data: { ssrf: true } }, 'sendtime');
      const attempts = () => t.api.get(`/api/webhooks/send-attempts?webhookEventId=${eventId}&maxResultCount=100`, 'sendtime');
      await waitUntil(async () => (await attempts()).body.totalCount === HOSTILE_HOSTS.length, { timeoutMs: 30_000 });
      for (const attempt of (await attempts()).body.items) {
        assert.equal(attempt.succeeded, false);
        assert.match(attempt.error, /private or reserved address/);
      }
      assert.equal(reached, 0, 'nothing reached the local receiver');
    } finally {
      local.closeAllConnections();
      await new Promise<void>((resolve) => local.close(() => resolve()));
    }
  });
});
