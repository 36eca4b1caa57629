import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { hooklineFixture } from './support/hookline';
import { ReceivedRequest } from './support/receiver';
import { waitUntil } from './support/wait';

const REPLAY_MAX_DELIVERIES = 3;

/** Issue 4, test 4: resend, resend-many, replay and test sends reach the receiver, signed, and are recorded as attempts. */
describe('resend, replay and test sends', () => {
  const t = hooklineFixture({ WEBHOOKS_REPLAY_MAX_DELIVERIES: String(REPLAY_MAX_DELIVERIES) });

  const verified = (secret: string, requests: ReceivedRequest[]) =>
    requests.map(
      (r) =>
        new Webhook(secret).verify(r.body, {
          'webhook-id': String(r.headers['webhook-id']),
          'webhook-timestamp': String(r.headers['webhook-timestamp']),
          'webhook-signature': String(r.headers['webhook-signature']),
        }) as { id: string; webhookEvent: string; attempt: number; data: Record<string, unknown> },
    );

  const deliveryOf = async (eventId: string) =>
    (
      await t.env.query<{ id: string; state: string; attempt_count: number; attempt_base: number; subscription_id: string }>(
        `SELECT id, state, attempt_count, attempt_base, webhook_subscription_id AS subscription_id
         FROM webhook_deliveries WHERE webhook_event_id = $1`,
        [eventId],
      )
    )[0];

  const waitForStates = async (eventIds: string[], state: string) =>
    waitUntil(
      async () =>
        (
          await t.env.query<{ state: string }>('SELECT state FROM webhook_deliveries WHERE webhook_event_id = ANY($1)', [
            eventIds,
          ])
        ).filter((d) => d.state === state).length === eventIds.length,
      {
        message: () => `deliveries of ${eventIds.join(', ')} never all became ${state}`,
      },
    );

  const attemptsOf = async (tenant: string, filter: string) => {
    const { status, body } = await t.api.get(`/api/webhooks/send-attempts?${filter}&maxResultCount=100`, tenant);
    assert.equal(status, 200, JSON.stringify(body));
    return body.items as { id: string; attemptNumber: number; succeeded: boolean; deliveryId: string }[];
  };

  const attemptRows = async (deliveryId: string) =>
    t.env.query<{ attempt_number: number; succeeded: boolean }>(
      'SELECT attempt_number, succeeded FROM webhook_send_attempts WHERE delivery_id = $1 ORDER BY attempt_number',
      [deliveryId],
    );

  it('resends a delivery that used up its attempts: one new signed try now, recorded as attempt 3', async () => {
    t.receiver.on('/exhausted', [500, 500, 200]);
    const { id: subscriptionId, secret } = await t.api.subscribe(
      { webhookUri: t.receiver.url('/exhausted'), webhooks: ['order.created'], maxSendAttemptCount: 2 },
      'acme',
    );
    const eventId = await t.api.publish({ webhookName: 'order.created', data: { n: 1 } }, 'acme');
    await waitForStates([eventId], 'failed');
    const [last] = await attemptsOf('acme', `webhookEventId=${eventId}&sorting=attemptNumber desc`);
    assert.equal(last.attemptNumber, 2);

    const { status, body } = await t.api.post(`/api/webhooks/send-attempts/${last.id}/resend`, {}, 'acme');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.succeeded, true);
    assert.equal(body.responseStatusCode, 200);
    assert.equal(body.attemptNumber, 3);
    assert.equal(body.webhookSubscriptionId, subscriptionId);
    assert.equal(typeof body.durationMs, 'number');
    assert.notEqual(body.id, last.id);

    const requests = t.receiver.requests('/exhausted');
    assert.equal(requests.length, 3);
    const delivery = await deliveryOf(eventId);
    const [payload] = verified(secret, [requests[2]]);
    assert.equal(payload.id, eventId);
    assert.equal(payload.attempt, 3);
    assert.equal(requests[2].headers['webhook-id'], delivery.id);
    assert.deepEqual(
      (await attemptRows(delivery.id)).map((a) => [a.attempt_number, a.succeeded]),
      [
        [1, false],
        [2, false],
        [3, true],
      ],
    );
    assert.equal(delivery.state, 'succeeded');
    assert.equal(delivery.attempt_base, 2, 'the budget was reopened at the resend');
  });

  it('resends a delivery waiting for a retry: its queued job is removed, so the receiver gets it once', async () => {
    // 429 with Retry-After: 60 parks the delivery's job in Bull's delayed set for a minute.
    t.receiver.on('/waiting', (_, n) => (n === 0 ? { status: 429, headers: { 'retry-after': '60' } } : { status: 200 }));
    await t.api.subscribe({ webhookUri: t.receiver.url('/waiting'), webhooks: ['order.paid'] }, 'acme');
    const eventId = await t.api.publish({ webhookName: 'order.paid', data: { n: 2 } }, 'acme');
    const [first] = await waitForAttempts('acme', eventId, 1);
    const delivery = await deliveryOf(eventId);
    assert.equal(delivery.state, 'pending');
    const jobKey = `${t.env.queuePrefix}:webhooks:${delivery.id}`;
    assert.ok((await t.env.redisKeys()).includes(jobKey), 'the retry is waiting in Bull');

    const { status, body } = await t.api.post(`/api/webhooks/send-attempts/${first.id}/resend`, {}, 'acme');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.succeeded, true);
    assert.equal(body.attemptNumber, 2);
    assert.equal((await deliveryOf(eventId)).state, 'succeeded');
    assert.equal((await t.env.redisKeys()).includes(jobKey), false, 'the waiting retry was removed');
    assert.equal(t.receiver.requests('/waiting').length, 2);
  });

  it('refuses to resend while a worker is sending the same delivery (409), and sends nothing more', async () => {
    t.receiver.on('/busy', (_, n) => (n === 0 ? { status: 500 } : { status: 200, delayMs: 3000 }));
    await t.api.subscribe({ webhookUri: t.receiver.url('/busy'), webhooks: ['customer.created'] }, 'busy');
    const eventId = await t.api.publish({ webhookName: 'customer.created', data: { n: 7 } }, 'busy');
    const [first] = await waitForAttempts('busy', eventId, 1);
    // The retry's request has arrived and is not answered yet: a worker holds the job.
    await t.receiver.waitForRequests('/busy', 2);
    const { status, body } = await t.api.post(`/api/webhooks/send-attempts/${first.id}/resend`, {}, 'busy');
    assert.equal(status, 409, JSON.stringify(body));
    assert.match(body.error.message, /being sent right now/);
    await waitForStates([eventId], 'succeeded');
    assert.equal(t.receiver.requests('/busy').length, 2);
    assert.equal((await deliveryOf(eventId)).attempt_base, 0, 'the refused resend did not reopen the delivery');
  });

  async function waitForAttempts(tenant: string, eventId: string, count: number) {
    await waitUntil(async () => (await attemptsOf(tenant, `webhookEventId=${eventId}`)).length >= count, {
      message: () => `event ${eventId} never had ${count} attempts`,
    });
    return attemptsOf(tenant, `webhookEventId=${eventId}&sorting=attemptNumber`);
  }

  it('resend-many queues the deliveries of the given attempts (not another tenant’s) with a fresh retry budget', async () => {
    // Two events, two attempts each (the cap), all failing; then the first re-send fails too and is retried.
    t.receiver.on('/many', (_, n) => ({ status: n < 5 ? 500 : 200 }));
    const { secret } = await t.api.subscribe(
      { webhookUri: t.receiver.url('/many'), webhooks: ['customer.created'], maxSendAttemptCount: 2 },
      'acme',
    );
    const events = [
      await t.api.publish({ webhookName: 'customer.created', data: { n: 3 } }, 'acme'),
      await t.api.publish({ webhookName: 'customer.created', data: { n: 4 } }, 'acme'),
    ];
    await waitForStates(events, 'failed');
    const attemptIds = (await attemptsOf('acme', `webhookEventId=${events[0]}`))
      .concat(await attemptsOf('acme', `webhookEventId=${events[1]}`))
      .map((a) => a.id);
    assert.equal(attemptIds.length, 4);

    // Another tenant's credential, and the host's, queue nothing and change nothing.
    for (const tenant of ['other', undefined]) {
      const { status, body } = await t.api.post('/api/webhooks/send-attempts/resend-many', { ids: attemptIds }, tenant);
      assert.equal(status, 202, JSON.stringify(body));
      assert.deepEqual(body, { queuedCount: 0 });
    }
    for (const e of events) assert.equal((await deliveryOf(e)).state, 'failed');

    // Two attempts of each delivery and an unknown id: each delivery is queued once.
    const { status, body } = await t.api.post(
      '/api/webhooks/send-attempts/resend-many',
      { ids: [...attemptIds, '00000000-0000-4000-8000-000000000000'] },
      'acme',
    );
    assert.equal(status, 202, JSON.stringify(body));
    assert.deepEqual(body, { queuedCount: 2 });
    await waitForStates(events, 'succeeded');
    const requests = t.receiver.requests('/many');
    assert.equal(requests.length, 7);
    const resent = verified(secret, requests.slice(4));
    assert.deepEqual(resent.map((p) => p.attempt).sort(), [3, 3, 4]);
    const rows = [];
    for (const e of events) rows.push((await attemptRows((await deliveryOf(e)).id)).map((a) => a.succeeded));
    assert.deepEqual(
      rows.sort((a, b) => a.length - b.length),
      [
        [false, false, true],
        [false, false, false, true],
      ],
    );
  });

  it('resend-many makes a retry waiting in the queue run now', async () => {
    t.receiver.on('/promote', (_, n) => (n === 0 ? { status: 503, headers: { 'retry-after': '120' } } : { status: 204 }));
    await t.api.subscribe({ webhookUri: t.receiver.url('/promote'), webhooks: ['invoice.finalized'] }, 'acme');
    const eventId = await t.api.publish({ webhookName: 'invoice.finalized', data: { n: 5 } }, 'acme');
    const [first] = await waitForAttempts('acme', eventId, 1);
    const { body } = await t.api.post('/api/webhooks/send-attempts/resend-many', { ids: [first.id] }, 'acme');
    assert.deepEqual(body, { queuedCount: 1 });
    // Without the promotion the retry would wait two minutes, far past this wait's deadline.
    await waitForStates([eventId], 'succeeded');
    assert.equal(t.receiver.requests('/promote').length, 2);
  });

  it('replays a window of a subscription’s deliveries: only the failed ones, a narrower window, then all', async () => {
    let failing = true;
    t.receiver.on('/replay', (r) => ({ status: failing && JSON.parse(r.body).data.fail ? 500 : 200 }));
    const { id, secret } = await t.api.subscribe(
      { webhookUri: t.receiver.url('/replay'), webhooks: ['order.cancelled'], maxSendAttemptCount: 1 },
      'replay',
    );
    const since = new Date(Date.now() - 1000).toISOString();
    const events: string[] = [];
    for (const fail of [false, true, false]) {
      events.push(await t.api.publish({ webhookName: 'order.cancelled', data: { n: events.length, fail } }, 'replay'));
    }
    await waitForStates([events[0], events[2]], 'succeeded');
    await waitForStates([events[1]], 'failed');
    failing = false;
    const replay = (body: Record<string, unknown>, tenant = 'replay') =>
      t.api.post(`/api/webhooks/subscriptions/${id}/replay`, body, tenant);

    let answer = await replay({ since, onlyFailed: true });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, { queuedCount: 1 });
    await waitForStates(events, 'succeeded');
    assert.equal(t.receiver.requests('/replay').length, 4);

    // The window is on the events' creation time: from the second event on.
    const [{ creation_time: secondCreated }] = await t.env.query<{ creation_time: Date }>(
      'SELECT creation_time FROM webhook_events WHERE id = $1',
      [events[1]],
    );
    answer = await replay({ since: secondCreated.toISOString(), until: new Date().toISOString() });
    assert.deepEqual(answer.body, { queuedCount: 2 });
    await t.receiver.waitForRequests('/replay', 6);
    await waitForStates(events, 'succeeded');

    answer = await replay({ since });
    assert.deepEqual(answer.body, { queuedCount: 3 });
    await t.receiver.waitForRequests('/replay', 9);
    await waitForStates(events, 'succeeded');

    // Every request verifies; each replay sent exactly its window (in any order).
    const sent = verified(secret, t.receiver.requests('/replay')).map((p) => p.data.n as number);
    const sorted = (from: number, to: number) => sent.slice(from, to).sort();
    assert.deepEqual([sorted(0, 3), sorted(3, 4), sorted(4, 6), sorted(6, 9)], [[0, 1, 2], [1], [1, 2], [0, 1, 2]]);
    const [{ count }] = await t.env.query<{ count: string }>(
      'SELECT count(*) FROM webhook_send_attempts WHERE webhook_subscription_id = $1',
      [id],
    );
    assert.equal(Number(count), 9);

    // A window holding more than WEBHOOKS_REPLAY_MAX_DELIVERIES deliveries is refused whole.
    const fourth = await t.api.publish({ webhookName: 'order.cancelled', data: { n: 3, fail: false } }, 'replay');
    await waitForStates([fourth], 'succeeded');
    answer = await replay({ since });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.details[0].field, 'since');
    const states = await t.env.query<{ state: string }>(
      'SELECT state FROM webhook_deliveries WHERE webhook_subscription_id = $1',
      [id],
    );
    assert.deepEqual(
      states.map((s) => s.state),
      ['succeeded', 'succeeded', 'succeeded', 'succeeded'],
    );

    // Another tenant's credential gets 404 for this subscription.
    answer = await replay({ since }, 'other');
    assert.equal(answer.status, 404);
  });

  it('after a deactivation: activate, then replay onlyFailed re-sends the abandoned deliveries', async () => {
    // The first answer's long Retry-After pauses the endpoint: the second delivery waits without an attempt. Then
    // the subscription is deactivated by hand.
    let down = true;
    t.receiver.on('/revived', () => (down ? { status: 503, headers: { 'retry-after': '300' } } : { status: 200 }));
    const { id } = await t.api.subscribe({ webhookUri: t.receiver.url('/revived'), webhooks: ['order.paid'] }, 'revive');
    const since = new Date(Date.now() - 1000).toISOString();
    const events = [await t.api.publish({ webhookName: 'order.paid', data: { n: 8 } }, 'revive')];
    await waitForAttempts('revive', events[0], 1);
    events.push(await t.api.publish({ webhookName: 'order.paid', data: { n: 9 } }, 'revive'));
    await waitUntil(async () => {
      const health = (await t.api.get(`/api/webhooks/subscriptions/${id}/health`, 'revive')).body;
      return health.pausedUntil !== null && health.backlog === 1;
    });
    assert.equal(t.receiver.requests('/revived').length, 1, 'the paused endpoint was sent nothing more');
    assert.equal((await t.api.post(`/api/webhooks/subscriptions/${id}/deactivate`, {}, 'revive')).status, 200);
    await waitForStates(events, 'abandoned');

    const refused = await t.api.post(`/api/webhooks/subscriptions/${id}/replay`, { since, onlyFailed: true }, 'revive');
    assert.equal(refused.status, 409, 'an inactive subscription is not replayed');
    down = false;
    assert.equal((await t.api.post(`/api/webhooks/subscriptions/${id}/activate`, {}, 'revive')).status, 200);
    const { status, body } = await t.api.post(`/api/webhooks/subscriptions/${id}/replay`, { since, onlyFailed: true }, 'revive');
    assert.deepEqual([status, body], [202, { queuedCount: 2 }]);
    await waitForStates(events, 'succeeded');
    assert.equal(t.receiver.requests('/revived').length, 3, 'activation lifted the pause: each delivery went once more');
  });

  it('test-sends a signed event to an inactive subscription and answers the first KB of the response; it stays inactive', async () => {
    t.receiver.on('/test', (_, n) => (n === 0 ? { status: 410 } : { status: 201, body: 'x'.repeat(3000) }));
    const { id, secret } = await t.api.subscribe({ webhookUri: t.receiver.url('/test'), webhooks: ['order.created'] }, 'tests');
    const eventId = await t.api.publish({ webhookName: 'order.created', data: { n: 6 } }, 'tests');
    await waitForStates([eventId], 'failed');
    const [gone] = await attemptsOf('tests', `webhookEventId=${eventId}`);
    const isActive = async () =>
      (await t.env.query<{ is_active: boolean }>('SELECT is_active FROM webhook_subscriptions WHERE id = $1', [id]))[0].is_active;
    await waitUntil(async () => !(await isActive()), { message: () => '410 Gone did not deactivate the subscription' });

    // Resending to an inactive subscription is refused, and nothing is sent or written.
    const before = await t.env.rowCounts();
    const refused = await t.api.post(`/api/webhooks/send-attempts/${gone.id}/resend`, {}, 'tests');
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(refused.body.error.message, /inactive/);
    assert.deepEqual(await t.env.rowCounts(), before);
    assert.equal(t.receiver.requests('/test').length, 1);

    const { status, body } = await t.api.post(`/api/webhooks/subscriptions/${id}/test`, {}, 'tests');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.succeeded, true);
    assert.equal(body.statusCode, 201);
    assert.equal(body.error, null);
    assert.equal(typeof body.durationMs, 'number');
    assert.equal(body.response, 'x'.repeat(1024));

    const [request] = t.receiver.requests('/test').slice(1);
    const [payload] = verified(secret, [request]);
    assert.equal(payload.webhookEvent, 'webhooks.test');
    assert.equal(payload.id, body.webhookEventId);
    assert.equal(payload.data.subscriptionId, id);
    assert.equal(request.headers['webhook-id'], body.deliveryId);

    const after = await t.env.rowCounts();
    assert.deepEqual(after, {
      ...before,
      events: before.events + 1,
      deliveries: before.deliveries + 1,
      attempts: before.attempts + 1,
    });
    const [event] = await t.env.query<{ webhook_name: string; tenant_id: string }>(
      'SELECT webhook_name, tenant_id FROM webhook_events WHERE id = $1',
      [body.webhookEventId],
    );
    assert.deepEqual(event, { webhook_name: 'webhooks.test', tenant_id: 'tests' });
    assert.equal((await deliveryOf(body.webhookEventId)).state, 'succeeded');
    const [attempt] = await attemptsOf('tests', `webhookEventId=${body.webhookEventId}`);
    assert.equal(attempt.id, body.sendAttemptId);
    assert.equal(await isActive(), false, 'a test send does not reactivate');

    // Another tenant's credential, and the host's, get 404 and send nothing.
    for (const tenant of ['other', undefined]) {
      assert.equal((await t.api.post(`/api/webhooks/subscriptions/${id}/test`, {}, tenant)).status, 404);
    }
    assert.equal(t.receiver.requests('/test').length, 2);
    assert.deepEqual(await t.env.rowCounts(), after);
  });

  it('test-sends to an unreachable endpoint: a failed attempt with the reason, no retry', async () => {
    const { id } = await t.api.subscribe({ webhookUri: 'http://127.0.0.1:1/nobody', webhooks: ['order.created'] }, 'tests');
    const { status, body } = await t.api.post(`/api/webhooks/subscriptions/${id}/test`, {}, 'tests');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.succeeded, false);
    assert.equal(body.statusCode, null);
    assert.match(body.error, /ECONNREFUSED/);
    const delivery = await deliveryOf(body.webhookEventId);
    assert.equal(delivery.state, 'failed');
    assert.equal(delivery.attempt_count, 1);
  });
});
