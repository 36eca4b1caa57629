import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { DefaultWebhookSender, UndiciWebhookSender, WebhookSender } from '@hookline/webhooks';
import { hooklineFixture } from './support/hookline';
import { closedPort } from './support/receiver';
import { waitUntil } from './support/wait';

interface AttemptRow {
  attemptNumber: number;
  succeeded: boolean;
  responseStatusCode: number | null;
  error: string | null;
  response: string | null;
  requestHeaders: Record<string, string>;
  durationMs: number;
}

/** Issue tests 4 and 5: retries until a 2xx, every attempt recorded; timeouts and refusals are failures with their reason. */
// Both HTTP clients (axios by default, undici directly with WEBHOOKS_HTTP_CLIENT=undici) must behave the same.
for (const client of ['axios', 'undici'])
  describe(`retries and recorded attempts (${client} client)`, () => {
    const t = hooklineFixture({ WEBHOOKS_HTTP_CLIENT: client });

    it('sends with the configured client', () => {
      const sender = t.hookline.app.get(WebhookSender);
      assert.ok(sender instanceof (client === 'undici' ? UndiciWebhookSender : DefaultWebhookSender), sender.constructor.name);
    });

    const deliveryOf = async (eventId: string) =>
      (
        await t.env.query<{ id: string; state: string; attempt_count: number }>(
          'SELECT id, state, attempt_count FROM webhook_deliveries WHERE webhook_event_id = $1',
          [eventId],
        )
      )[0];

    const waitForState = async (eventId: string, state: string) =>
      waitUntil(async () => (await deliveryOf(eventId))?.state === state, {
        message: () => `delivery of ${eventId} never became ${state}`,
      });

    const attemptsOf = async (eventId: string, tenant: string): Promise<AttemptRow[]> => {
      const { status, body } = await t.api.get(
        `/api/webhooks/send-attempts?webhookEventId=${eventId}&maxResultCount=100`,
        tenant,
      );
      assert.equal(status, 200);
      return (body.items as AttemptRow[]).sort((a, b) => a.attemptNumber - b.attemptNumber);
    };

    it('retries 500, 500 then succeeds on 200: three attempts recorded, one webhook-id throughout', async () => {
      t.receiver.on('/flaky', [500, 500, 200]);
      await t.api.subscribe(
        {
          webhookUri: t.receiver.url('/flaky'),
          webhooks: ['order.created'],
          headers: { Authorization: 'Bearer receiver-token' },
        },
        'retry',
      );
      const eventId = await t.api.publish({ webhookName: 'order.created', data: { n: 1 } }, 'retry');
      await waitForState(eventId, 'succeeded');

      const requests = t.receiver.requests('/flaky');
      assert.equal(requests.length, 3);
      const delivery = await deliveryOf(eventId);
      assert.deepEqual(new Set(requests.map((r) => r.headers['webhook-id'])), new Set([delivery.id]));
      assert.deepEqual(
        requests.map((r) => JSON.parse(r.body).attempt),
        [1, 2, 3],
      );
      assert.equal(requests[0].headers.authorization, 'Bearer receiver-token');

      const attempts = await attemptsOf(eventId, 'retry');
      assert.deepEqual(
        attempts.map((a) => [a.attemptNumber, a.succeeded, a.responseStatusCode]),
        [
          [1, false, 500],
          [2, false, 500],
          [3, true, 200],
        ],
      );
      assert.equal(attempts[2].response, 'answered 200');
      assert.equal(attempts[0].requestHeaders['webhook-id'], delivery.id);
      assert.equal(attempts[0].requestHeaders.authorization, '[redacted]', 'receiver credentials are not stored');
      assert.equal(delivery.attempt_count, 3);
    });

    it('gives up after maxSendAttemptCount and marks the delivery failed', async () => {
      t.receiver.on('/down', [503]);
      await t.api.subscribe({ webhookUri: t.receiver.url('/down'), webhooks: ['order.paid'], maxSendAttemptCount: 3 }, 'retry');
      const eventId = await t.api.publish({ webhookName: 'order.paid', data: { n: 2 } }, 'retry');
      await waitForState(eventId, 'failed');
      assert.equal((await attemptsOf(eventId, 'retry')).length, 3);
      assert.equal(t.receiver.requests('/down').length, 3);
    });

    for (const status of [429, 503]) {
      it(`waits at least a ${status}'s Retry-After before the next attempt`, async () => {
        const path = `/busy-${status}`;
        t.receiver.on(path, (_, n) => (n === 0 ? { status, headers: { 'retry-after': '1' } } : { status: 204 }));
        await t.api.subscribe({ webhookUri: t.receiver.url(path), webhooks: ['order.cancelled'] }, `retry-${status}`);
        const eventId = await t.api.publish({ webhookName: 'order.cancelled', data: { n: 3 } }, `retry-${status}`);
        await waitForState(eventId, 'succeeded');
        const [first, second] = t.receiver.requests(path);
        // The retry base delay is 50 ms in tests; only Retry-After explains a gap of a second.
        assert.ok(second.receivedAt - first.receivedAt >= 950, `gap was ${second.receivedAt - first.receivedAt} ms`);
      });
    }

    it('records a timeout as a failed attempt with the reason', async () => {
      t.receiver.on('/slow', () => ({ status: 200, delayMs: 3000 }));
      await t.api.subscribe(
        { webhookUri: t.receiver.url('/slow'), webhooks: ['customer.created'], timeoutDuration: 1, maxSendAttemptCount: 1 },
        'errors',
      );
      const eventId = await t.api.publish({ webhookName: 'customer.created', data: { n: 4 } }, 'errors');
      await waitForState(eventId, 'failed');
      const [attempt] = await attemptsOf(eventId, 'errors');
      assert.equal(attempt.succeeded, false);
      assert.equal(attempt.responseStatusCode, null);
      assert.equal(attempt.error, 'Timed out after 1000 ms');
      assert.ok(attempt.durationMs >= 900 && attempt.durationMs < 2500, `duration ${attempt.durationMs}`);
    });

    it('records a timeout when the connection is never established (a TLS handshake nobody answers)', async () => {
      const accepted: net.Socket[] = [];
      const silent = net.createServer((socket) => accepted.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = silent.address() as net.AddressInfo;
        await t.api.subscribe(
          {
            webhookUri: `https://127.0.0.1:${port}/silent`,
            webhooks: ['customer.created'],
            timeoutDuration: 1,
            maxSendAttemptCount: 1,
          },
          'handshake',
        );
        const eventId = await t.api.publish({ webhookName: 'customer.created', data: { n: 8 } }, 'handshake');
        await waitForState(eventId, 'failed');
        const [attempt] = await attemptsOf(eventId, 'handshake');
        assert.equal(attempt.error, 'Timed out after 1000 ms');
        assert.ok(attempt.durationMs >= 900 && attempt.durationMs < 2500, `duration ${attempt.durationMs}`);
      } finally {
        accepted.forEach((socket) => socket.destroy());
        silent.close();
      }
    });

    it('records a refused connection as a failed attempt with the reason', async () => {
      const port = await closedPort();
      await t.api.subscribe(
        { webhookUri: `http://127.0.0.1:${port}/nobody`, webhooks: ['invoice.finalized'], maxSendAttemptCount: 1 },
        'errors',
      );
      const eventId = await t.api.publish({ webhookName: 'invoice.finalized', data: { n: 5 } }, 'errors');
      await waitForState(eventId, 'failed');
      const [attempt] = await attemptsOf(eventId, 'errors');
      assert.equal(attempt.responseStatusCode, null);
      assert.match(attempt.error ?? '', /ECONNREFUSED/);
    });

    it('cuts a long response body at 20 KB and does not follow redirects', async () => {
      t.receiver.on('/big', () => ({ status: 200, body: 'x'.repeat(100_000) }));
      t.receiver.on('/moved', () => ({ status: 302, headers: { location: t.receiver.url('/big') } }));
      await t.api.subscribe({ webhookUri: t.receiver.url('/big'), webhooks: ['order.created'] }, 'bodies');
      await t.api.subscribe(
        { webhookUri: t.receiver.url('/moved'), webhooks: ['order.created'], maxSendAttemptCount: 1 },
        'bodies',
      );
      const eventId = await t.api.publish({ webhookName: 'order.created', data: { n: 6 } }, 'bodies');
      await waitUntil(async () => (await attemptsOf(eventId, 'bodies')).length === 2);
      const attempts = await attemptsOf(eventId, 'bodies');
      const big = attempts.find((a) => a.responseStatusCode === 200)!;
      assert.equal(big.response?.length, 20 * 1024);
      const moved = attempts.find((a) => a.responseStatusCode === 302)!;
      assert.equal(moved.succeeded, false);
      assert.equal(t.receiver.requests('/big').length, 1, 'the redirect was not followed');
    });

    it('stores an answer whose body holds NUL bytes (PostgreSQL text cannot), with U+FFFD in their place', async () => {
      t.receiver.on('/nul', () => ({ status: 200, body: 'ok\u0000done' }));
      await t.api.subscribe({ webhookUri: t.receiver.url('/nul'), webhooks: ['order.created'] }, 'nul');
      const eventId = await t.api.publish({ webhookName: 'order.created', data: { n: 7 } }, 'nul');
      await waitForState(eventId, 'succeeded');
      const attempts = await attemptsOf(eventId, 'nul');
      assert.equal(attempts.length, 1);
      assert.equal(attempts[0].response, 'ok\ufffddone');
      assert.equal(t.receiver.requests('/nul').length, 1, 'sent once');
    });
  });
