import assert from 'node:assert/strict';
import { subscribe } from 'node:diagnostics_channel';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { DEFAULT_WEBHOOKS_OPTIONS } from '@hookline/webhooks-core';
import { DefaultWebhookSender, HttpWebhookSender, UndiciWebhookSender } from '@hookline/webhooks';
import { TestReceiver } from './support/receiver';
import { waitUntil } from './support/wait';

/** Connection attempts the senders have in flight, from undici's diagnostics channels. */
let connecting = 0;
subscribe('undici:client:beforeConnect', () => connecting++);
subscribe('undici:client:connected', () => connecting--);
subscribe('undici:client:connectError', () => connecting--);

const options = { ...DEFAULT_WEBHOOKS_OPTIONS, allowPrivateNetworks: true };
/** Long enough for the request to reach the receiver on a loaded machine before the sender gives up. */
const TIMEOUT_MS = 2_000;

/**
 * A send the sender gives up on (timeout, or an answer past the kept body) uses one connection: no second,
 * empty connection is opened after it.
 */
for (const [client, Sender] of [
  ['axios', DefaultWebhookSender],
  ['undici', UndiciWebhookSender],
] as const) {
  describe(`${client} sender connections`, () => {
    let receiver: TestReceiver;
    let sender: HttpWebhookSender;
    const send = (path: string) =>
      sender.send({
        uri: receiver.url(path),
        body: '{"n":1}',
        headers: { 'content-type': 'application/json' },
        timeoutMs: TIMEOUT_MS,
      });
    /** Settled: no connection open at the receiver, none being opened by the sender. */
    const settled = () =>
      waitUntil(() => connecting === 0 && receiver.connections.every((c) => !c.open), {
        message: () => `connecting ${connecting}, connections ${JSON.stringify(receiver.connections)}`,
      });

    beforeEach(async () => {
      receiver = await TestReceiver.start();
      sender = new Sender(options);
    });
    afterEach(async () => {
      await sender.onApplicationShutdown();
      await receiver.close();
    });
    after(() => assert.equal(connecting, 0));

    it('a timed-out send closes its connection and opens no other', async () => {
      receiver.on('/slow', () => ({ status: 200, delayMs: 60_000 }));
      const result = await send('/slow');
      assert.equal(result.error, `Timed out after ${TIMEOUT_MS} ms`);
      await settled();
      assert.equal(receiver.connections.length, 1, JSON.stringify(receiver.connections));
    });

    it('an answer running past the kept body closes its connection and opens no other', async () => {
      receiver.on('/endless', () => ({ status: 200, body: 'x'.repeat(200_000), unended: true }));
      const result = await send('/endless');
      assert.equal(result.statusCode, 200);
      assert.equal(result.responseBody, 'x'.repeat(options.responseBodyLimitBytes));
      await settled();
      assert.deepEqual(
        receiver.connections.map((c) => c.requests),
        [1],
      );
    });

    it('an answer longer than the kept body that ends leaves its connection open for later sends', async () => {
      receiver.on('/long', () => ({ status: 200, body: 'y'.repeat(options.responseBodyLimitBytes + 10_000) }));
      for (let i = 0; i < 2; i++) {
        const result = await send('/long');
        assert.equal(result.responseBody?.length, options.responseBodyLimitBytes);
      }
      // The second send may come while the first answer's end is still being read (a second connection), or after.
      assert.equal(
        receiver.connections.reduce((n, c) => n + c.requests, 0),
        2,
      );
      assert.ok(
        receiver.connections.every((c) => c.open && c.requests > 0),
        JSON.stringify(receiver.connections),
      );
    });
  });
}
