import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connect } from 'amqplib';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { MAX_JSON_DEPTH, WebhookValidationError, parseJsonText } from '@hookline/webhooks-core';
import { WebhookPublisher } from '@hookline/webhooks';
import { ApiErrorBody, RunningHookline, ScratchEnvironment, startHookline } from './support/hookline';
import { ReceivedRequest, TestReceiver } from './support/receiver';

const RABBITMQ_URL = process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const PUBLISH = '/api/webhooks/publish';
const SUBSCRIPTIONS = '/api/webhooks/subscriptions';

/**
 * Event data a JSON.parse / JSON.stringify round trip (or class-transformer) changes: keys named like object
 * members, an integer beyond 2^53, -0, numbers written in other forms, integer-like keys out of order,
 * escapes; at the top and deeper down.
 */
const TRICKY_DATA =
  '{"constructor":"Ferrari","team":"x","toString":1,"__proto__":{"isAdmin":true},"hasOwnProperty":2,' +
  '"prototype":3,"isPrototypeOf":4,"id":12345678901234567890,"zero":-0,"price":1.10,"big":1E400,' +
  '"b":"second","2":"two","1":"one","text":"caf\\u00e9 \\"q\\" \\ud83d\\ude00 \\u0000",' +
  '"nested":{"constructor":{"prototype":[-0,12345678901234567891]},"valueOf":null}}';

/** The data as it reached the receiver inside the envelope: the text between `"data":` and `,"creationTimeUtc"`. */
function dataTextOf(request: ReceivedRequest): string {
  const start = request.body.indexOf('"data":') + '"data":'.length;
  return request.body.slice(start, request.body.lastIndexOf(',"creationTimeUtc"'));
}

describe('data reaches the receiver as the same JSON value, whichever way it was published', () => {
  const env = new ScratchEnvironment();
  const queue = `hookline-test-${randomBytes(6).toString('hex')}`;
  let receiver: TestReceiver;
  let hookline: RunningHookline;
  let broker: ChannelModel;
  let channel: ConfirmChannel;

  before(async () => {
    receiver = await TestReceiver.start();
    broker = await connect(RABBITMQ_URL);
    channel = await broker.createConfirmChannel();
    hookline = await startHookline(env, { RABBITMQ_URL, RABBITMQ_QUEUE: queue });
    await hookline.api.subscribe({ webhookUri: receiver.url('/http'), webhooks: ['order.created'] }, 'http');
    await hookline.api.subscribe({ webhookUri: receiver.url('/amqp'), webhooks: ['order.created'] }, 'amqp');
    await hookline.api.subscribe({ webhookUri: receiver.url('/code'), webhooks: ['order.created'] }, 'code');
    await hookline.api.subscribe({ webhookUri: receiver.url('/batch'), webhooks: ['order.created'] }, 'batch');
  });

  after(async () => {
    await channel?.deleteQueue(queue).catch(() => undefined);
    await channel?.deleteQueue(`${queue}.dead-letter`).catch(() => undefined);
    await broker?.close();
    await hookline?.close();
    await receiver?.close();
    await env.drop();
  });

  it('over HTTP: the data text arrives exactly as published', async () => {
    const { status, body } = await hookline.api.request('POST', PUBLISH, {
      rawBody: `{"webhookName":"order.created","data":${TRICKY_DATA}}`,
      tenant: 'http',
    });
    assert.equal(status, 202, JSON.stringify(body));
    const [request] = await receiver.waitForRequests('/http', 1);
    assert.equal(dataTextOf(request), TRICKY_DATA);
  });

  it('over HTTP in a batch: the data text arrives exactly as published', async () => {
    const { status, body } = await hookline.api.request('POST', `${PUBLISH}/batch`, {
      rawBody: `{"events":[{"webhookName":"order.created","data":${TRICKY_DATA}}]}`,
      tenant: 'batch',
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.items[0].status, 202, JSON.stringify(body));
    const [request] = await receiver.waitForRequests('/batch', 1);
    assert.equal(dataTextOf(request), TRICKY_DATA);
  });

  it('over RabbitMQ: the data text arrives exactly as published', async () => {
    const content = Buffer.from(`{"webhookName":"order.created","tenantId":"amqp","data":${TRICKY_DATA}}`);
    channel.sendToQueue(queue, content, { persistent: true, messageId: randomUUID() });
    await channel.waitForConfirms();
    const [request] = await receiver.waitForRequests('/amqp', 1, 30_000);
    assert.equal(dataTextOf(request), TRICKY_DATA);
  });

  it('in-process: parsed data keeps its text; built data keeps bigints and -0; what JSON cannot hold is refused', async () => {
    const publisher = hookline.app.get(WebhookPublisher);
    await publisher.publish({ webhookName: 'order.created', tenantId: 'code', data: parseJsonText(TRICKY_DATA) as object });
    await publisher.publish({
      webhookName: 'order.created',
      tenantId: 'code',
      data: { constructor: 'Ferrari', id: 12345678901234567890n, zero: -0, list: [1, 'a'] },
    });
    const requests = await receiver.waitForRequests('/code', 2);
    const texts = requests.map(dataTextOf).sort();
    assert.deepEqual(texts, [TRICKY_DATA, '{"constructor":"Ferrari","id":12345678901234567890,"zero":-0,"list":[1,"a"]}'].sort());
    const before = await env.rowCounts();
    for (const [data, field] of [
      [{ ratio: NaN }, 'data.ratio'],
      [{ list: [undefined] }, 'data.list[0]'],
      [{ text: 'a\ud800' }, 'data.text'],
    ] as const) {
      await assert.rejects(
        publisher.publish({ webhookName: 'order.created', tenantId: 'code', data }),
        (e: unknown) => e instanceof WebhookValidationError && e.field === field,
      );
    }
    assert.deepEqual(await env.rowCounts(), before);
  });

  it('subscription headers keep every key', async () => {
    const headers = { valueOf: 'v', toString: 't', hasOwnProperty: 'h', 'X-Team': 'x' };
    const created = await hookline.api.subscribe(
      { webhookUri: receiver.url('/headers'), webhooks: ['order.created'], headers },
      'headers',
    );
    const { body } = await hookline.api.get(`${SUBSCRIPTIONS}/${created.id}`, 'headers');
    assert.deepEqual(body.headers, headers);
    await hookline.api.publish({ webhookName: 'order.created', data: { id: 1 } }, 'headers');
    const [request] = await receiver.waitForRequests('/headers', 1);
    const sent = new Map<string, string>();
    for (let i = 0; i < request.rawHeaders.length; i += 2)
      sent.set(request.rawHeaders[i].toLowerCase(), request.rawHeaders[i + 1]);
    assert.equal(sent.get('valueof'), 'v');
    assert.equal(sent.get('tostring'), 't');
    assert.equal(sent.get('hasownproperty'), 'h');
    assert.equal(sent.get('x-team'), 'x');
  });

  it('refuses with 400 naming the field what it cannot keep, and what is no field at all', async () => {
    await env.deliveriesSettled();
    const deep = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
    const cases: { body: string; path?: string; field: string }[] = [
      { body: '{"webhookName":"order.created","data":{},"__proto__":{"x":1}}', field: '__proto__' },
      { body: '{"webhookName":"order.created","data":{},"constructor":"x"}', field: 'constructor' },
      { body: '{"webhookName":"order.created","data":{},"toString":"x"}', field: 'toString' },
      { body: '{"webhookName":"order.created","data":{"a":1,"a":2}}', field: 'data' },
      { body: '{"webhookName":"order.created","data":{"list":["\\udead"]}}', field: 'data.list[0]' },
      { body: `{"webhookName":"order.created","data":${deep(3000)}}`, field: `data${'.a'.repeat(MAX_JSON_DEPTH - 1)}` },
      {
        body: `{"webhookName":"order.created","data":{},"headers":${deep(3000)}}`,
        field: `headers${'.a'.repeat(MAX_JSON_DEPTH - 1)}`,
      },
      { body: '{"webhookName":"order.created","data":{},"headers":{"X-A":"\\ud800"}}', field: 'headers.X-A' },
      // The HTTP client would leave these names out.
      { body: '{"webhookName":"order.created","data":{},"headers":{"constructor":"x"}}', field: 'headers.constructor' },
      {
        body: `{"webhookUri":"https://example.com/h","webhooks":["order.created"],"constructor":"x"}`,
        path: SUBSCRIPTIONS,
        field: 'constructor',
      },
    ];
    for (const c of cases) {
      const before = await env.rowCounts();
      const { status, body } = await hookline.api.request<ApiErrorBody>('POST', c.path ?? PUBLISH, {
        rawBody: c.body,
        tenant: 'refused',
      });
      assert.equal(status, 400, `${c.body.slice(0, 80)}: ${JSON.stringify(body)}`);
      assert.deepEqual(
        body.error.details.map((d) => d.field),
        [c.field],
        c.body.slice(0, 80),
      );
      assert.deepEqual(await env.rowCounts(), before);
    }
  });
});
