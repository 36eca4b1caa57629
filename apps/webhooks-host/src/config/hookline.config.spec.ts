import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigurationError, loadHooklineConfig } from './hookline.config';

describe('loadHooklineConfig', () => {
  it('runs on defaults that point at the local PostgreSQL and Redis', () => {
    const config = loadHooklineConfig({});
    assert.equal(config.role, 'all');
    assert.equal(config.database.url, 'postgres://postgres@127.0.0.1:5432/hookline');
    assert.equal(config.redis.url, 'redis://127.0.0.1:6379');
    assert.equal(config.webhooks.timeoutDuration, 60);
    assert.equal(config.webhooks.maxSendAttemptCount, 5);
    assert.equal(config.webhooks.isAutomaticSubscriptionDeactivationEnabled, true);
    assert.equal(config.webhooks.maxConsecutiveFailCountBeforeDeactivateSubscription, 15);
    assert.equal(config.featureGrants, null);
    assert.equal(config.webhooks.maxEventDataBytes, 256 * 1024);
  });

  it('converts numbers, booleans and JSON', () => {
    const config = loadHooklineConfig({
      PORT: '8080',
      WEBHOOKS_AUTO_DEACTIVATION_ENABLED: 'false',
      WEBHOOKS_FEATURE_GRANTS: '{"t1":["Premium"]}',
    });
    assert.equal(config.http.port, 8080);
    assert.equal(config.webhooks.isAutomaticSubscriptionDeactivationEnabled, false);
    assert.deepEqual(config.featureGrants, { t1: ['Premium'] });
  });

  it('treats an empty definitions file as none, and other empty values as unset', () => {
    assert.equal(loadHooklineConfig({}).definitionsFile, 'config/webhooks.definitions.yaml');
    const config = loadHooklineConfig({ WEBHOOKS_DEFINITIONS_FILE: '', PORT: '' });
    assert.equal(config.definitionsFile, null);
    assert.equal(config.http.port, 3000);
  });

  it('consumes RabbitMQ only when RABBITMQ_URL is set, with the dead-letter queue named after the queue', () => {
    assert.equal(loadHooklineConfig({}).rabbitmq, null);
    assert.deepEqual(
      loadHooklineConfig({ RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672', RABBITMQ_QUEUE: 'orders.webhooks' }).rabbitmq,
      {
        url: 'amqp://guest:guest@127.0.0.1:5672',
        queue: 'orders.webhooks',
        deadLetterQueue: 'orders.webhooks.dead-letter',
        prefetch: 20,
        requeueDelayMs: 1000,
      },
    );
    assert.throws(
      () => loadHooklineConfig({ RABBITMQ_URL: 'http://broker', RABBITMQ_QUEUE: 'a b', RABBITMQ_PREFETCH: '0' }),
      /RABBITMQ_URL:[\s\S]*RABBITMQ_QUEUE:[\s\S]*RABBITMQ_PREFETCH:/,
    );
  });

  it('refuses bad values, naming each variable', () => {
    assert.throws(
      () =>
        loadHooklineConfig({
          PORT: 'eighty',
          ROLE: 'boss',
          WEBHOOKS_MAX_SEND_ATTEMPT_COUNT: '0',
          WEBHOOKS_FEATURE_GRANTS: '[1]',
          WEBHOOKS_MAX_EVENT_DATA_BYTES: '1',
        }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigurationError);
        for (const name of [
          'PORT',
          'ROLE',
          'WEBHOOKS_MAX_SEND_ATTEMPT_COUNT',
          'WEBHOOKS_FEATURE_GRANTS',
          'WEBHOOKS_MAX_EVENT_DATA_BYTES',
        ]) {
          assert.match(e.message, new RegExp(`${name}:`));
        }
        return true;
      },
    );
  });

  it('keeps the history 30 days; response bodies and headers, when set, for fewer days than the rest', () => {
    assert.deepEqual(loadHooklineConfig({}).history, { retentionDays: 30, responseRetentionDays: null });
    assert.deepEqual(loadHooklineConfig({ WEBHOOKS_RETENTION_DAYS: '90', WEBHOOKS_RESPONSE_RETENTION_DAYS: '7' }).history, {
      retentionDays: 90,
      responseRetentionDays: 7,
    });
    assert.throws(() => loadHooklineConfig({ WEBHOOKS_RETENTION_DAYS: '0' }), /WEBHOOKS_RETENTION_DAYS:/);
    assert.throws(() => loadHooklineConfig({ WEBHOOKS_RETENTION_DAYS: 'a month' }), /WEBHOOKS_RETENTION_DAYS:/);
    assert.throws(
      () => loadHooklineConfig({ WEBHOOKS_RETENTION_DAYS: '7', WEBHOOKS_RESPONSE_RETENTION_DAYS: '7' }),
      /WEBHOOKS_RESPONSE_RETENTION_DAYS: must be below WEBHOOKS_RETENTION_DAYS/,
    );
  });

  it('reads the extra redacted header names, refusing anything but header names', () => {
    assert.deepEqual(loadHooklineConfig({}).webhooks.redactedHeaderWords, []);
    assert.deepEqual(
      loadHooklineConfig({ WEBHOOKS_REDACTED_HEADERS: 'x-internal-, X-Tenant-Pin' }).webhooks.redactedHeaderWords,
      ['x-internal-', 'X-Tenant-Pin'],
    );
    for (const bad of ['x internal', 'a,,b', 'x:y']) {
      assert.throws(() => loadHooklineConfig({ WEBHOOKS_REDACTED_HEADERS: bad }), /WEBHOOKS_REDACTED_HEADERS/, bad);
    }
  });

  it('reads the encryption keys, and refuses to run in production without one', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    assert.deepEqual(loadHooklineConfig({}).encryptionKeys, []);
    assert.deepEqual(loadHooklineConfig({ WEBHOOKS_ENCRYPTION_KEY: key }).encryptionKeys, [
      { id: 'default', key: Buffer.alloc(32, 7) },
    ]);
    assert.throws(
      () => loadHooklineConfig({ NODE_ENV: 'production' }),
      /WEBHOOKS_ENCRYPTION_KEY: required when NODE_ENV=production/,
    );
    assert.equal(
      loadHooklineConfig({ NODE_ENV: 'production', WEBHOOKS_ENCRYPTION_KEYS: `k1:${key}` }).encryptionKeys[0].id,
      'k1',
    );
    assert.throws(() => loadHooklineConfig({ WEBHOOKS_ENCRYPTION_KEY: 'c2hvcnQ=' }), ConfigurationError);
  });

  it('reads the portal settings: framing origins, public origin, cookie SameSite; refuses anything else', () => {
    assert.deepEqual(loadHooklineConfig({}).portal, { allowedOrigins: [], publicUrl: null, cookieSameSite: 'strict' });
    const portal = loadHooklineConfig({
      WEBHOOKS_PORTAL_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:8080',
      WEBHOOKS_PORTAL_PUBLIC_URL: 'https://hooks.example.com/',
      WEBHOOKS_PORTAL_COOKIE_SAMESITE: 'none',
    }).portal;
    assert.deepEqual(portal, {
      allowedOrigins: ['https://app.example.com', 'http://localhost:8080'],
      publicUrl: 'https://hooks.example.com',
      cookieSameSite: 'none',
    });
    assert.throws(
      () =>
        loadHooklineConfig({
          WEBHOOKS_PORTAL_ALLOWED_ORIGINS: "https://ok.example.com, https://app.example.com/path, 'unsafe-inline'",
          WEBHOOKS_PORTAL_PUBLIC_URL: 'https://hooks.example.com/sub/path',
          WEBHOOKS_PORTAL_COOKIE_SAMESITE: 'loose',
        }),
      /WEBHOOKS_PORTAL_PUBLIC_URL:[\s\S]*WEBHOOKS_PORTAL_COOKIE_SAMESITE:[\s\S]*WEBHOOKS_PORTAL_ALLOWED_ORIGINS:.*app\.example\.com\/path', ''unsafe-inline''/,
    );
  });

  it('takes an egress proxy URL, refusing anything but an http(s) proxy address without echoing it', () => {
    assert.equal(loadHooklineConfig({}).webhooks.egressProxyUrl, null);
    const url = 'http://user:pa55@proxy.internal:3128';
    assert.equal(loadHooklineConfig({ WEBHOOKS_EGRESS_PROXY_URL: url }).webhooks.egressProxyUrl, url);
    for (const bad of ['socks5://user:pa55@proxy:1080', 'http://user:pa55@proxy:3128/path', 'not a url']) {
      assert.throws(
        () => loadHooklineConfig({ WEBHOOKS_EGRESS_PROXY_URL: bad }),
        (e: Error) => /WEBHOOKS_EGRESS_PROXY_URL: must be an http/.test(e.message) && !e.message.includes('pa55'),
      );
    }
  });
});
