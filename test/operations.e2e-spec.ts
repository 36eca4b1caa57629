import assert from 'node:assert/strict';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import type { Express } from 'express';
import { EventBus } from '@nestjs/cqrs';
import { WebhooksEvent } from '@hookline/webhooks';
import { REDIS_URL, TEST_ADMIN_API_KEY, hooklineFixture, startHookline } from './support/hookline';
import { Metrics, scrapeMetrics } from './support/metrics';
import { TcpProxy } from './support/tcp-proxy';
import { waitUntil } from './support/wait';

/** Operations surface of one process: /metrics, /health/live and /health/ready, and the queue dashboard. */
describe('operations', () => {
  const fixture = hooklineFixture();

  /** Counter deltas between two scrapes. */
  const delta = (before: Metrics, after: Metrics, name: string, labels: Record<string, string> = {}) =>
    after.value(name, labels) - before.value(name, labels);

  it('counts events, attempts by result and status class, final states, deactivations and swallowed CQRS errors', async () => {
    const { api, receiver, hookline } = fixture;
    receiver.on('/ok', [200]).on('/flaky', [500]).on('/gone', [410]);
    const before = await scrapeMetrics(api.baseUrl);
    assert.match(before.contentType, /^text\/plain/);

    await api.subscribe({ webhookUri: receiver.url('/ok'), webhooks: ['order.created'] }, 'metrics');
    await api.subscribe({ webhookUri: receiver.url('/flaky'), webhooks: ['order.created'], maxSendAttemptCount: 2 }, 'metrics');
    for (let i = 0; i < 3; i++) await api.publish({ webhookName: 'order.created', data: { i } }, 'metrics');
    // A receiver answering 410 Gone: one failed attempt, its delivery failed, its subscription deactivated.
    await api.subscribe({ webhookUri: receiver.url('/gone'), webhooks: ['order.paid'] }, 'metrics-gone');
    await api.publish({ webhookName: 'order.paid', data: {} }, 'metrics-gone');
    // An event the CQRS bus cannot publish (unknown webhook): the handler's error reaches no caller.
    hookline.app.get(EventBus).publish(new WebhooksEvent({ webhookName: 'no.such.webhook', data: {} }));

    let after = before;
    await waitUntil(
      async () => {
        after = await scrapeMetrics(api.baseUrl);
        return (
          delta(before, after, 'hookline_deliveries_total') >= 7 &&
          // Deactivation is observed after its attempt is recorded (and the delivery counted): wait for it too.
          delta(before, after, 'hookline_subscriptions_deactivated_total') >= 1 &&
          delta(before, after, 'hookline_cqrs_unhandled_errors_total') >= 1
        );
      },
      { message: () => `settled deliveries: ${delta(before, after, 'hookline_deliveries_total')}` },
    );

    assert.equal(delta(before, after, 'hookline_webhook_events_published_total', { webhook: 'order.created' }), 3);
    assert.equal(delta(before, after, 'hookline_webhook_events_published_total', { webhook: 'order.paid' }), 1);
    assert.equal(delta(before, after, 'hookline_deliveries_created_total'), 7);
    assert.equal(delta(before, after, 'hookline_delivery_attempts_total', { result: 'success', status_class: '2xx' }), 3);
    assert.equal(delta(before, after, 'hookline_delivery_attempts_total', { result: 'failure', status_class: '5xx' }), 6);
    assert.equal(delta(before, after, 'hookline_delivery_attempts_total', { result: 'failure', status_class: '4xx' }), 1);
    assert.equal(delta(before, after, 'hookline_delivery_attempts_total'), 10);
    assert.equal(delta(before, after, 'hookline_deliveries_total', { state: 'succeeded' }), 3);
    assert.equal(delta(before, after, 'hookline_deliveries_total', { state: 'failed' }), 4);
    assert.equal(delta(before, after, 'hookline_subscriptions_deactivated_total', { reason: 'gone' }), 1);
    assert.equal(delta(before, after, 'hookline_delivery_attempt_duration_seconds_count'), 10);
    assert.equal(delta(before, after, 'hookline_delivery_first_attempt_delay_seconds_count'), 7, 'one per delivery');
    assert.equal(delta(before, after, 'hookline_cqrs_unhandled_errors_total', { event: 'WebhooksEvent' }), 1);
    assert.equal(receiver.requests('/flaky').length, 6, 'the metrics agree with what the receiver saw');

    // Gauges read on scrape: the scheduler's deliveries and held-back endpoints by state, and the active
    // subscriptions (cached for a few seconds).
    const states = (name: string) =>
      after.samples
        .filter((s) => s.name === name)
        .map((s) => s.labels.state)
        .sort();
    assert.deepEqual(states('hookline_dispatch_deliveries'), ['in_flight', 'retry_scheduled', 'waiting']);
    assert.deepEqual(states('hookline_dispatch_endpoints'), ['at_capacity', 'breaker_half_open', 'breaker_open', 'paused']);
    await waitUntil(async () => (await scrapeMetrics(api.baseUrl)).value('hookline_subscriptions_active') === 2, {
      message: () => 'expected 2 active subscriptions (the 410 one was deactivated)',
    });
    const labels = new Set(after.samples.filter((s) => s.name.startsWith('hookline_')).flatMap((s) => Object.keys(s.labels)));
    assert.deepEqual(
      [...labels].sort(),
      ['event', 'le', 'outcome', 'reason', 'result', 'state', 'status_class', 'webhook'],
      'bounded labels only',
    );
  });

  it('answers /health/live always, and /health/ready 503 while Redis is unreachable, 200 once it is back', async () => {
    const redisProxy = await TcpProxy.start(Number(new URL(REDIS_URL).port || 6379));
    const app = await startHookline(fixture.env, { ROLE: 'api', REDIS_URL: `redis://127.0.0.1:${redisProxy.port}` });
    const ready = () => app.api.get('/health/ready');
    try {
      const up = await ready();
      assert.equal(up.status, 200);
      assert.equal(up.body.status, 'ok');
      assert.deepEqual(Object.keys(up.body.details).sort(), ['postgres', 'redis']);

      await redisProxy.cut();
      let down = up;
      await waitUntil(async () => (down = await ready()).status === 503, { timeoutMs: 20_000 });
      assert.equal(down.body.status, 'error');
      assert.equal(down.body.details.redis.status, 'down');
      assert.equal(down.body.details.postgres.status, 'up', 'only the missing dependency is reported down');
      assert.equal((await app.api.get('/health/live')).status, 200, 'the process itself is alive');

      await redisProxy.resume();
      await waitUntil(async () => (await ready()).status === 200, { timeoutMs: 20_000 });
    } finally {
      await app.close();
      await redisProxy.close();
    }
  });

  it("builds each request and response on Express's prototypes, so Express has none to change", async () => {
    const { api, hookline } = fixture;
    const server = hookline.app.getHttpServer() as Server;
    const express = hookline.app.getHttpAdapter().getInstance() as Express;
    const born: object[] = [];
    // Runs before Express does: what Node's server built, as it built it.
    const seeBirth = (request: IncomingMessage, response: ServerResponse) =>
      born.push(Object.getPrototypeOf(request), Object.getPrototypeOf(response));
    server.prependListener('request', seeBirth);
    try {
      assert.equal((await api.get('/health/live')).status, 200);
    } finally {
      server.off('request', seeBirth);
    }
    assert.equal(born.length, 2);
    assert.ok(born[0] === express.request, "the request was not built on Express's request prototype");
    assert.ok(born[1] === express.response, "the response was not built on Express's response prototype");
  });

  it('opens the queue dashboard to the host admin key only (Bearer or Basic)', async () => {
    const { api } = fixture;
    const status = async (authorization?: string) =>
      (await fetch(`${api.baseUrl}/admin/queues/api/queues`, { headers: authorization ? { authorization } : {} })).status;
    const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

    const denied = await fetch(`${api.baseUrl}/admin/queues`);
    assert.equal(denied.status, 401);
    assert.match(denied.headers.get('www-authenticate') ?? '', /^Basic /, 'a browser asks for the key');
    assert.equal(await status('Bearer wrong-key-0123456789abcdefghij'), 401);
    assert.equal(await status(basic('wrong-key-0123456789abcdefghij')), 401);
    assert.equal(await status(`Bearer ${TEST_ADMIN_API_KEY}x`), 401);

    assert.equal(await status(`Bearer ${TEST_ADMIN_API_KEY}`), 200);
    assert.equal(await status(basic(TEST_ADMIN_API_KEY)), 200);
    const board = await fetch(`${api.baseUrl}/admin/queues/api/queues`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_API_KEY}` },
    });
    const { queues } = (await board.json()) as { queues: { name: string }[] };
    assert.deepEqual(
      queues.map((q) => q.name),
      ['webhooks'],
    );
    const page = await fetch(`${api.baseUrl}/admin/queues`, { headers: { authorization: basic(TEST_ADMIN_API_KEY) } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
  });

  it('serves no queue dashboard when no admin key is configured', async () => {
    const app = await startHookline(fixture.env, { ROLE: 'api', WEBHOOKS_ADMIN_API_KEY: '' });
    try {
      assert.equal(
        (await fetch(`${app.api.baseUrl}/admin/queues`, { headers: { authorization: 'Bearer anything' } })).status,
        404,
      );
      assert.equal((await app.api.get('/health/live')).status, 200);
    } finally {
      await app.close();
    }
  });
});
