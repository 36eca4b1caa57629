import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hooklineFixture } from './support/hookline';
import { waitUntil } from './support/wait';

/** Credential-looking headers never reach storage or the API in clear, in requests and responses alike. */
describe('header redaction', () => {
  const t = hooklineFixture({ WEBHOOKS_REDACTED_HEADERS: 'x-internal-, X-Tenant-Pin' });

  const credentials = {
    Authorization: 'Bearer a',
    'X-Auth-Token': 'b',
    'X-Access-Token': 'c',
    'X-Webhook-Secret': 'd',
    'X-Amz-Security-Token': 'e',
    'X-Api-Key': 'f',
    'X-ApiKey': 'g',
    'X-Session-Id': 'h',
    'X-Password': 'i',
    Cookie: 'sid=j',
    'X-Internal-Route': 'configured part of a name',
    'X-Tenant-Pin': 'configured name',
  };
  const plain = { 'X-Team': 'ops', 'X-Request-Kind': 'order' };

  it('stores and shows credentials among request and response headers as [redacted]', async () => {
    t.receiver.on('/redacted', () => ({
      status: 200,
      headers: { 'Set-Cookie': 'session=k', 'X-Auth-Token': 'l', 'X-Amz-Request-Id': 'm', 'X-Served-By': 'edge-1' },
    }));
    const { id } = await t.api.subscribe({
      webhookUri: t.receiver.url('/redacted'),
      webhooks: ['order.created'],
      headers: { ...credentials, ...plain },
    });
    const eventId = await t.api.publish({ webhookName: 'order.created', data: { id: 1 } });
    const [request] = await t.receiver.waitForRequests('/redacted', 1);
    assert.equal(request.headers['x-auth-token'], 'b', 'the receiver gets the real values');

    const attempts = () => t.api.get(`/api/webhooks/send-attempts?webhookEventId=${eventId}`);
    await waitUntil(async () => (await attempts()).body.totalCount === 1);
    const [attempt] = (await attempts()).body.items;
    for (const name of Object.keys(credentials)) assert.equal(attempt.requestHeaders[name.toLowerCase()], '[redacted]', name);
    for (const [name, value] of Object.entries(plain)) assert.equal(attempt.requestHeaders[name.toLowerCase()], value, name);
    assert.equal(attempt.responseHeaders['set-cookie'], '[redacted]');
    assert.equal(attempt.responseHeaders['x-auth-token'], '[redacted]');
    assert.equal(attempt.responseHeaders['x-amz-request-id'], '[redacted]');
    assert.equal(attempt.responseHeaders['x-served-by'], 'edge-1');

    const stored = JSON.stringify(await t.env.query('SELECT request_headers, response_headers FROM webhook_send_attempts'));
    for (const secret of [
      'Bearer a',
      '"b"',
      '"c"',
      '"d"',
      '"e"',
      '"f"',
      '"g"',
      '"h"',
      '"i"',
      'sid=j',
      'session=k',
      '"l"',
      'configured',
    ]) {
      assert.ok(!stored.includes(secret), `${secret} is stored in clear: ${stored}`);
    }

    const { body } = await t.api.get(`/api/webhooks/subscriptions/${id}`);
    for (const name of Object.keys(credentials)) assert.equal(body.headers[name], '[redacted]', name);
    assert.equal(body.headers['X-Team'], 'ops');
  });
});
