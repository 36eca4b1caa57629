import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RunningHookline, ScratchEnvironment, startHookline } from './support/hookline';
import { ConnectProxy } from './support/connect-proxy';
import { TestReceiver } from './support/receiver';
import { waitUntil } from './support/wait';

/** WEBHOOKS_EGRESS_PROXY_URL: deliveries tunnel through an HTTP CONNECT proxy; the SSRF guard still holds. */
describe('egress proxy', () => {
  let proxy: ConnectProxy;
  let receiver: TestReceiver;
  const envs = [new ScratchEnvironment(), new ScratchEnvironment()];
  const apps: RunningHookline[] = [];

  before(async () => {
    proxy = await ConnectProxy.start();
    receiver = await TestReceiver.start();
  });
  after(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await Promise.all(envs.map((e) => e.drop()));
    await receiver?.close();
    await proxy?.close();
  });

  it('every connection to the receiver is a tunnel through the proxy', async () => {
    const hookline = await startHookline(envs[0], { WEBHOOKS_EGRESS_PROXY_URL: proxy.url });
    apps.push(hookline);
    await hookline.api.subscribe({ webhookUri: receiver.url('/proxied'), webhooks: ['order.paid'] }, 'p');
    for (let n = 1; n <= 3; n++) await hookline.api.publish({ webhookName: 'order.paid', data: { n } }, 'p');
    const received = await receiver.waitForRequests('/proxied', 3);
    assert.deepEqual(received.map((r) => JSON.parse(r.body).data.n).sort(), [1, 2, 3]);
    assert.ok(proxy.tunnels.length >= 1);
    assert.ok(
      proxy.tunnels.every((t) => t === `127.0.0.1:${receiver.port}`),
      JSON.stringify(proxy.tunnels),
    );
    assert.equal(receiver.connections.length, proxy.tunnels.length, 'no connection came to the receiver directly');
  });

  it('a name resolving to a private address is refused before any tunnel is asked for', async () => {
    const hookline = await startHookline(envs[1], {
      WEBHOOKS_EGRESS_PROXY_URL: proxy.url,
      WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'false',
      WEBHOOKS_MAX_SEND_ATTEMPT_COUNT: '1',
    });
    apps.push(hookline);
    const tunnelsBefore = proxy.tunnels.length;
    await hookline.api.subscribe({ webhookUri: `http://localhost:${receiver.port}/guarded`, webhooks: ['order.paid'] }, 'g');
    const eventId = await hookline.api.publish({ webhookName: 'order.paid', data: { n: 1 } }, 'g');
    const attempts = async () => (await hookline.api.get(`/api/webhooks/send-attempts?webhookEventId=${eventId}`, 'g')).body;
    await waitUntil(async () => (await attempts()).totalCount === 1);
    const [attempt] = (await attempts()).items;
    assert.equal(attempt.responseStatusCode, null);
    assert.match(attempt.error, /localhost is (127\.0\.0\.1|::1), a private or reserved address/);
    assert.equal(proxy.tunnels.length, tunnelsBefore, 'the proxy was not asked');
    assert.equal(receiver.requests('/guarded').length, 0);
  });
});
