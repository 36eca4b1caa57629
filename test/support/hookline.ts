import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { INestApplication } from '@nestjs/common';
import Redis from 'ioredis';
import { Client } from 'pg';
import { after, before } from 'node:test';
import { DeliveryDispatch } from '@hookline/webhooks';
import { createHooklineApp } from '../../apps/webhooks-host/src/bootstrap';
import { loadHooklineConfig } from '../../apps/webhooks-host/src/config/hookline.config';
import { TestReceiver } from './receiver';
import { waitUntil } from './wait';

/** The services every machine (and CI) runs; override for elsewhere. */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * What one test file owns: a database name (created by the application itself, as on a fresh machine)
 * and a Redis key prefix. Both are removed by drop(); release() removes the Redis keys only and keeps the
 * database (a benchmark's database kept for the next run, named by the caller).
 */
export class ScratchEnvironment {
  constructor(readonly databaseName = `hookline_test_${randomBytes(6).toString('hex')}`) {}

  readonly queuePrefix = `hookline-test-${randomBytes(6).toString('hex')}`;
  private client?: Client;

  databaseUrl(base = POSTGRES_URL): string {
    return `${base}/${this.databaseName}`;
  }

  /** A connection to the scratch database, for assertions on what was stored. */
  async db(): Promise<Client> {
    if (!this.client) {
      this.client = new Client({ connectionString: this.databaseUrl() });
      await this.client.connect();
    }
    return this.client;
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await (await this.db()).query(sql, params)).rows as T[];
  }

  async rowCounts(): Promise<Record<string, number>> {
    const [row] = await this.query<Record<string, string>>(`
      SELECT (SELECT count(*) FROM webhook_subscriptions) AS subscriptions, (SELECT count(*) FROM webhook_events) AS events,
             (SELECT count(*) FROM webhook_deliveries) AS deliveries, (SELECT count(*) FROM webhook_send_attempts) AS attempts`);
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
  }

  /**
   * Waits until no delivery is pending: each one has been sent and its attempt recorded, so a receiver has had
   * every request it is going to get. What did not arrive can then be asserted without sleeping.
   */
  async deliveriesSettled(timeoutMs = 15_000): Promise<void> {
    const pending = async () =>
      Number((await this.query<{ n: string }>(`SELECT count(*) AS n FROM webhook_deliveries WHERE state = 'pending'`))[0].n);
    let left = 0;
    await waitUntil(async () => (left = await pending()) === 0, { timeoutMs, message: () => `${left} deliveries still pending` });
  }

  async redisKeys(): Promise<string[]> {
    const redis = new Redis(REDIS_URL);
    try {
      return await redis.keys(`${this.queuePrefix}:*`);
    } finally {
      redis.disconnect();
    }
  }

  /** Simulates Redis losing its data: every key of this environment is deleted. */
  async flushRedis(): Promise<void> {
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${this.queuePrefix}:*`);
      if (keys.length) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  }

  /** Closes the connection and deletes the Redis keys; the database stays. */
  async release(): Promise<void> {
    await this.client?.end();
    this.client = undefined;
    await this.flushRedis();
  }

  async drop(): Promise<void> {
    await this.release();
    const admin = new Client({ connectionString: `${POSTGRES_URL}/postgres` });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${this.databaseName}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}

export interface RunningHookline {
  app: INestApplication;
  api: ApiClient;
  close(): Promise<void>;
}

/**
 * Waits until nothing more can be sent: no delivery is pending, and the scheduler holds none (none waiting, in
 * flight or waiting for a retry). A receiver has then had every request it is ever going to get, so what did not
 * arrive can be asserted without sleeping.
 */
export async function sendsSettled(env: ScratchEnvironment, hookline: RunningHookline, timeoutMs = 15_000): Promise<void> {
  await env.deliveriesSettled(timeoutMs);
  const dispatch = hookline.app.get(DeliveryDispatch);
  let held = {};
  await waitUntil(
    async () => {
      const { waiting, inFlight, retriesScheduled } = await dispatch.counts();
      held = { waiting, inFlight, retriesScheduled };
      return waiting + inFlight + retriesScheduled === 0;
    },
    { timeoutMs, message: () => `the scheduler still holds deliveries: ${JSON.stringify(held)}` },
  );
}

/** The host admin key every test application is configured with; ApiClient sends it unless told otherwise. */
export const TEST_ADMIN_API_KEY = 'test-admin-key-0123456789abcdef';

/** The example definitions the service ships, with their data schemas. */
export const EXAMPLE_DEFINITIONS_FILE = resolve('config/webhooks.definitions.yaml');

/**
 * The example definitions without their data schemas, written once per test process: most tests publish ad-hoc
 * data (`{ n: 1 }`) and are about something else. Tests of the schemas pass EXAMPLE_DEFINITIONS_FILE.
 */
function definitionsWithoutSchemas(): string {
  const doc = parseYaml(readFileSync(EXAMPLE_DEFINITIONS_FILE, 'utf8')) as { groups: { webhooks: Record<string, unknown>[] }[] };
  for (const webhook of doc.groups.flatMap((g) => g.webhooks)) {
    delete webhook.schema;
    delete webhook.schemaVersion;
    delete webhook.example;
  }
  const path = join(tmpdir(), `hookline-test-definitions-${process.pid}.json`);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

/** Settings that make retries and sweeps fast enough for tests; each test file may override any of them. */
const TEST_SETTINGS: Record<string, string> = {
  HOST: '127.0.0.1',
  // The receivers of the tests live on 127.0.0.1.
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
  LOG_LEVEL: 'error',
  LOG_FORMAT: 'text',
  WEBHOOKS_RETRY_BASE_DELAY_MS: '50',
  WEBHOOKS_RETRY_MAX_DELAY_MS: '200',
  WEBHOOKS_SWEEP_INTERVAL_MS: '60000',
  WEBHOOKS_DEFINITIONS_FILE: definitionsWithoutSchemas(),
  WEBHOOKS_ADMIN_API_KEY: TEST_ADMIN_API_KEY,
  // Tests poll the API far faster than a person; the rate-limit tests turn it on.
  WEBHOOKS_RATE_LIMIT_REQUESTS: '0',
};

/** The environment variables of an application on this scratch environment. */
export function hooklineSettings(env: ScratchEnvironment, settings: Record<string, string> = {}): Record<string, string> {
  return { ...TEST_SETTINGS, DATABASE_URL: env.databaseUrl(), REDIS_URL, QUEUE_PREFIX: env.queuePrefix, ...settings };
}

/** Starts the real application (config validation, migrations, Bull, HTTP) on a free port. */
export async function startHookline(env: ScratchEnvironment, settings: Record<string, string> = {}): Promise<RunningHookline> {
  const config = loadHooklineConfig(hooklineSettings(env, settings));
  const app = await createHooklineApp(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, api: new ApiClient(`http://127.0.0.1:${port}`), close: () => app.close() };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiErrorBody {
  error: { code: string; message: string; details: { field: string; message: string }[] };
}

export interface RequestOptions {
  body?: unknown;
  /** Sets the `__tenant` header. */
  tenant?: string;
  rawBody?: string;
  /** The bearer credential; defaults to the client's (the host admin key). null sends none. */
  key?: string | null;
  headers?: Record<string, string>;
}

/** The service's HTTP API over real HTTP, authenticated with `key` (the host admin key by default). */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly key: string | null = TEST_ADMIN_API_KEY,
  ) {}

  /** The same API with another credential. */
  as(key: string | null): ApiClient {
    return new ApiClient(this.baseUrl, key);
  }

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const { body, tenant, rawBody } = options;
    const key = options.key === undefined ? this.key : options.key;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (tenant !== undefined) headers.__tenant = tenant;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await response.text();
    let parsed: unknown = text || undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON (a 413 from the body parser, say): keep the text */
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = any>(path: string, tenant?: string) {
    return this.request<T>('GET', path, { tenant });
  }

  post<T = any>(path: string, body: unknown, tenant?: string) {
    return this.request<T>('POST', path, { body, tenant });
  }

  put<T = any>(path: string, body: unknown, tenant?: string) {
    return this.request<T>('PUT', path, { body, tenant });
  }

  delete<T = any>(path: string, tenant?: string) {
    return this.request<T>('DELETE', path, { tenant });
  }

  /** Creates a subscription and fails loudly unless it was created. */
  async subscribe(input: Record<string, unknown>, tenant?: string): Promise<{ id: string; secret: string }> {
    const { status, body } = await this.post('/api/webhooks/subscriptions', input, tenant);
    if (status !== 201) throw new Error(`subscription not created: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  /** Publishes and fails loudly unless it was accepted. */
  async publish(input: Record<string, unknown>, tenant?: string): Promise<string> {
    const { status, body } = await this.post('/api/webhooks/publish', input, tenant);
    if (status !== 202) throw new Error(`publish not accepted: ${status} ${JSON.stringify(body)}`);
    return body.webhookEventId;
  }
}

export interface HooklineFixture {
  env: ScratchEnvironment;
  receiver: TestReceiver;
  hookline: RunningHookline;
  api: ApiClient;
}

/**
 * Registers before/after hooks that start a receiver and the application on a scratch environment, and
 * clean all of it up. The returned object is filled in once `before` has run.
 */
export function hooklineFixture(settings: Record<string, string> = {}): HooklineFixture {
  const fixture = { env: new ScratchEnvironment() } as HooklineFixture;
  before(async () => {
    fixture.receiver = await TestReceiver.start();
    fixture.hookline = await startHookline(fixture.env, settings);
    fixture.api = fixture.hookline.api;
  });
  after(async () => {
    await fixture.hookline?.close();
    await fixture.receiver?.close();
    await fixture.env.drop();
  });
  return fixture;
}
