import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateWebhookSecret } from '@hookline/webhooks-core';
import { hooklineFixture } from './support/hookline';
import { closedPort } from './support/receiver';
import { waitUntil } from './support/wait';

/** The receiver the README points users to (examples/receiver.js) accepts real deliveries and refuses forgeries. */
describe('examples/receiver.js', () => {
  const t = hooklineFixture();
  let receiver: ChildProcess | undefined;
  let stdout = '';
  let stderr = '';

  after(async () => {
    if (receiver && receiver.exitCode === null) {
      receiver.kill();
      await once(receiver, 'exit');
    }
  });

  it('prints each verified delivery once and answers 401 to a forged one', async () => {
    const secret = generateWebhookSecret();
    const port = await closedPort();
    receiver = spawn(process.execPath, [resolve('examples/receiver.js')], {
      env: { ...process.env, HOOKLINE_SECRET: secret, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    receiver.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    receiver.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    await waitUntil(() => stderr.includes('receiver listening'), { message: () => stderr });

    await t.api.subscribe({ webhookUri: `http://127.0.0.1:${port}/hooks`, webhooks: ['order.created'], secret }, 'demo');
    await t.api.publish({ webhookName: 'order.created', data: { orderId: '1001' } }, 'demo');
    await waitUntil(() => stdout.includes('"webhookEvent":"order.created"'), { message: () => stdout + stderr });
    const line = JSON.parse(stdout.trim().split('\n')[0]);
    assert.deepEqual(line.data, { orderId: '1001' });
    assert.equal(line.attempt, 1);

    const forged = await fetch(`http://127.0.0.1:${port}/hooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'msg_forged',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': 'v1,AAAA',
        'abp-webhook-signature': 'sha256=00',
      },
      body: '{"webhookEvent":"order.created","data":{}}',
    });
    assert.equal(forged.status, 401);
    assert.equal(stdout.trim().split('\n').length, 1, 'the forgery printed nothing');
  });
});
