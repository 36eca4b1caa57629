import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connect } from 'amqplib';
import type { ChannelModel, ConfirmChannel, GetMessage, Options } from 'amqplib';
import { RabbitMqReadinessCheck, RabbitMqWebhooksConsumer } from '@hookline/webhooks-rabbitmq';
import { POSTGRES_URL, RunningHookline, ScratchEnvironment, sendsSettled, startHookline } from './support/hookline';
import { ReceivedRequest, TestReceiver } from './support/receiver';
import { TcpProxy } from './support/tcp-proxy';
import { waitUntil } from './support/wait';

const RABBITMQ_URL = process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Issue test 5: the distributed event bus, on the real broker, with queues of this file's own. */
describe('WebhooksEventData messages from RabbitMQ', () => {
  const env = new ScratchEnvironment();
  const queue = `hookline-test-${randomBytes(6).toString('hex')}`;
  const deadLetterQueue = `${queue}.dead-letter`;
  let receiver: TestReceiver;
  let hookline: RunningHookline;
  // The application reaches the broker and PostgreSQL through proxies the tests can cut.
  let brokerProxy: TcpProxy;
  let postgresProxy: TcpProxy;
  let broker: ChannelModel;
  let channel: ConfirmChannel;

  const send = async (body: unknown, properties: Options.Publish = {}): Promise<string> => {
    const messageId = properties.messageId ?? randomUUID();
    const content = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    channel.sendToQueue(queue, content, { persistent: true, contentType: 'application/json', messageId, ...properties });
    await channel.waitForConfirms();
    return messageId;
  };

  const readiness = () => hookline.app.get(RabbitMqReadinessCheck);
  const isReady = () =>
    readiness()
      .check()
      .then(() => true)
      .catch(() => false);
  /** How many messages the consumer settled (acked or requeued) since it started. */
  const settled = () => hookline.app.get(RabbitMqWebhooksConsumer).settled;
  /** Waits until the consumer has acked `count` more messages than `before` counted: none of them is in hand any more. */
  const acked = (before: ReturnType<typeof settled>, count: number) => {
    const ackedSince = () => settled().published + settled().deadLettered - before.published - before.deadLettered;
    return waitUntil(() => ackedSince() >= count, { message: () => `${ackedSince()} of ${count} messages acked` });
  };
  const eventCount = async () => Number((await env.query<{ n: string }>('SELECT count(*) AS n FROM webhook_events'))[0].n);

  const deadLetters: GetMessage[] = [];
  const waitForDeadLetters = async (count: number) => {
    await waitUntil(
      async () => {
        for (
          let m = await channel.get(deadLetterQueue, { noAck: true });
          m;
          m = await channel.get(deadLetterQueue, { noAck: true })
        ) {
          deadLetters.push(m);
        }
        return deadLetters.length >= count;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: () => `expected ${count} dead letters, got ${deadLetters.length}` },
    );
    return deadLetters;
  };

  before(async () => {
    brokerProxy = await TcpProxy.start(Number(new URL(RABBITMQ_URL).port || 5672));
    postgresProxy = await TcpProxy.start(Number(new URL(POSTGRES_URL).port || 5432));
    receiver = await TestReceiver.start();
    broker = await connect(RABBITMQ_URL);
    channel = await broker.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true });
    const brokerUrl = new URL(RABBITMQ_URL);
    brokerUrl.port = String(brokerProxy.port);
    const postgresUrl = new URL(POSTGRES_URL);
    postgresUrl.port = String(postgresProxy.port);
    hookline = await startHookline(env, {
      RABBITMQ_URL: brokerUrl.toString(),
      RABBITMQ_QUEUE: queue,
      RABBITMQ_PREFETCH: '5',
      RABBITMQ_REQUEUE_DELAY_MS: '100',
      DATABASE_URL: env.databaseUrl(postgresUrl.toString().replace(/\/$/, '')),
    });
    await hookline.api.subscribe({ webhookUri: receiver.url('/acme'), webhooks: ['order.*'] }, 'acme');
    await waitUntil(isReady, { timeoutMs: 20_000, message: () => 'the consumer never started' });
  });

  after(async () => {
    await hookline?.close();
    await channel?.deleteQueue(queue);
    await channel?.deleteQueue(deadLetterQueue);
    await broker?.close();
    await receiver?.close();
    await brokerProxy?.close();
    await postgresProxy?.close();
    await env.drop();
  });

  it('turns good messages into signed deliveries of their tenant', async () => {
    const before = settled();
    await send({ webhookName: 'order.created', tenantId: 'acme', data: { orderId: 'R-1' } });
    await send({ webhookName: 'order.paid', tenantId: 'acme', data: { orderId: 'R-1', paid: true }, sendExactSameData: true });
    await send({ webhookName: 'order.created', data: { host: true } }); // a host event: acme's subscription must not get it
    const requests = await receiver.waitForRequests('/acme', 2);
    const bodies = requests.map((r) => JSON.parse(r.body));
    const envelope = bodies.find((b) => b.webhookEvent === 'order.created');
    assert.deepEqual(envelope?.data, { orderId: 'R-1' });
    assert.ok(
      bodies.some((b) => b.paid === true && b.webhookEvent === undefined),
      'sendExactSameData sends data as the body',
    );
    assert.ok(requests.every((r) => String(r.headers['webhook-signature']).startsWith('v1,')));
    await acked(before, 3);
    await sendsSettled(env, hookline);
    assert.equal(await eventCount(), 3, 'the host event is stored');
    assert.equal(receiver.requests('/acme').length, 2);
  });

  it('dead-letters every message it cannot handle, with the reason, and keeps consuming', async () => {
    const before = await eventCount();
    const bad: [string, unknown, Options.Publish, RegExp][] = [
      ['bad JSON', '{"webhookName": "order.created", ', {}, /^body: not valid JSON/],
      ['unknown webhook', { webhookName: 'order.shipped', data: {} }, {}, /^webhookName: unknown webhook 'order.shipped'/],
      ['missing data', { webhookName: 'order.created', tenantId: 'acme' }, {}, /^data: is required/],
      ['data not an object', { webhookName: 'order.created', data: [1] }, {}, /^data: must be a JSON object/],
      [
        'invalid tenant id',
        { webhookName: 'order.created', data: {}, tenantId: 'no spaces please' },
        {},
        /^tenantId: must be 1-64/,
      ],
      ['unknown field', { webhookName: 'order.created', data: {}, tenantID: 'acme' }, {}, /^tenantID: is not a known field/],
      ['reserved header', { webhookName: 'order.created', data: {}, headers: { 'webhook-id': 'x' } }, {}, /^headers/],
    ];
    const expected = new Map<string, RegExp>();
    for (const [name, body, properties, reason] of bad) expected.set(await send(body, { ...properties, type: name }), reason);
    // Without a message id there is nothing to dedupe a redelivery on: refused too (matched by its type).
    await send({ webhookName: 'order.created', data: {} }, { messageId: undefined as unknown as string, type: 'no message id' });

    const letters = await waitForDeadLetters(bad.length + 1);
    for (const letter of letters) {
      const reason = String(letter.properties.headers?.['x-hookline-error']);
      const { messageId, type } = letter.properties;
      if (type === 'no message id') assert.match(reason, /^messageId: /);
      else assert.match(reason, expected.get(messageId) ?? /unexpected/, `${type}: ${reason}`);
    }
    assert.equal(letters.length, bad.length + 1);
    assert.equal(await eventCount(), before, 'no event was stored for a bad message');

    await send({ webhookName: 'order.cancelled', tenantId: 'acme', data: { after: 'bad ones' } });
    await waitUntil(() => receiver.requests('/acme').some((r) => JSON.parse(r.body).webhookEvent === 'order.cancelled'));
    assert.equal((await channel.checkQueue(queue)).messageCount, 0, 'nothing is left on the queue');
  });

  it('makes one event of a redelivered message (same message id), and dead-letters another message reusing the id', async () => {
    const before = await eventCount();
    const settledBefore = settled();
    const body = { webhookName: 'order.paid', tenantId: 'acme', data: { orderId: 'R-2', copy: 'one of two' } };
    const messageId = await send(body);
    await send(body, { messageId }); // what the broker hands over again when an ack was lost
    const isCopy = (r: ReceivedRequest) => JSON.parse(r.body).data?.copy === 'one of two';
    await waitUntil(() => receiver.requests('/acme').some(isCopy));
    const other = await send({ ...body, data: { orderId: 'R-3' } }, { messageId });
    const [letter] = (await waitForDeadLetters(deadLetters.length + 1)).filter((l) => l.properties.messageId === other);
    assert.match(String(letter?.properties.headers?.['x-hookline-error']), /was used with a different request/);
    // All three acked and every delivery sent: a second event of the copy would be stored and sent by now.
    await acked(settledBefore, 3);
    await sendsSettled(env, hookline);
    assert.equal(await eventCount(), before + 1);
    assert.equal(receiver.requests('/acme').filter(isCopy).length, 1);
  });

  it('keeps a message while PostgreSQL is away and stores it once it is back, without dead-lettering it', async () => {
    const delivered = receiver.requests('/acme').length;
    const { requeued } = settled();
    await postgresProxy.cut();
    try {
      await send({ webhookName: 'order.created', tenantId: 'acme', data: { during: 'outage' } });
      await waitUntil(() => settled().requeued >= requeued + 2, {
        message: () => `requeued ${settled().requeued - requeued} times while PostgreSQL is refused`,
      });
    } finally {
      await postgresProxy.resume();
    }
    await receiver.waitForRequests('/acme', delivered + 1, 30_000);
    const bodies = receiver.requests('/acme').map((r) => JSON.parse(r.body));
    assert.equal(bodies.filter((b) => b.data?.during === 'outage').length, 1);
    assert.equal((await channel.checkQueue(deadLetterQueue)).messageCount, 0);
  });

  it('reports the broker in /health/ready, reconnects when the connection drops, and consumes again', async () => {
    const ready = () => hookline.api.get('/health/ready');
    assert.equal((await ready()).body.details.rabbitmq?.status, 'up');
    await brokerProxy.cut();
    let down = await ready();
    await waitUntil(async () => (down = await ready()).status === 503, { message: () => 'still ready without the broker' });
    assert.equal(down.body.details.rabbitmq.status, 'down');
    assert.match(down.body.details.rabbitmq.message, /not consuming from RabbitMQ/);
    assert.equal(down.body.details.postgres.status, 'up');
    const messageId = await send({ webhookName: 'order.created', tenantId: 'acme', data: { sentWhile: 'disconnected' } });
    await brokerProxy.resume();
    await waitUntil(async () => (await ready()).status === 200, {
      timeoutMs: 30_000,
      message: () => 'the consumer did not reconnect',
    });
    await waitUntil(() => receiver.requests('/acme').some((r) => JSON.parse(r.body).data?.sentWhile === 'disconnected'), {
      timeoutMs: 30_000,
      message: () => `message ${messageId} was not delivered after the reconnect`,
    });
  });
});
