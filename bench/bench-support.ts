import { resolve } from 'node:path';
import { DefaultWebhookSigner, buildWebhookBody, generateWebhookSecret } from '@hookline/webhooks-core';
import { ScratchEnvironment, hooklineSettings } from '../test/support/hookline';
import { waitUntil } from '../test/support/wait';
import { ChildHandle, ReceiverStats } from './bench-ipc';

/** The host admin key of the benchmark's service processes. */
export const BENCH_ADMIN_API_KEY = 'bench-admin-key-0123456789abcdef';

/** An order as a SaaS backend might publish it: the envelope around it is about 700 bytes, as in the issue. */
export const ORDER_DATA = {
  orderId: 'ord_8f14e45fceea167a5a36dedd4bea2543',
  customer: { id: 'cus_c9f0f895fb98ab9159f51fd0297e236d', email: 'ada@example.com', name: 'Ada Lovelace' },
  currency: 'EUR',
  total: 12_950,
  items: [
    { sku: 'BOOK-0001', name: 'Notes on the Analytical Engine', quantity: 1, unitPrice: 4_950 },
    { sku: 'PEN-0042', name: 'Fountain pen', quantity: 2, unitPrice: 4_000 },
  ],
  shippingAddress: { line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
  placedAt: '2026-11-23T12:00:00.000Z',
};

/** The body and headers of one real send of ORDER_DATA, for the raw POST rate. */
export function signedEnvelope(): { body: string; headers: Record<string, string> } {
  const body = buildWebhookBody({
    webhookEventId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    webhookName: 'order.created',
    attempt: 1,
    dataJson: JSON.stringify(ORDER_DATA),
    creationTime: new Date(),
    sendExactSameData: false,
  });
  const headers = new DefaultWebhookSigner().sign({
    body,
    secrets: [generateWebhookSecret()],
    webhookId: 'a87ff679-a2f3-471d-8c1e-1d5b6a0e3f4c',
    timestamp: Math.floor(Date.now() / 1000),
  });
  return { body, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

export const percentile = (values: number[], q: number): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
};

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Creates a subscription through the HTTP API, as a tenant would: the scheduler learns its limits when it is saved. */
export async function subscribeOverHttp(baseUrl: string, tenant: string, subscription: Record<string, unknown>): Promise<void> {
  const created = await fetch(`${baseUrl}/api/webhooks/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_ADMIN_API_KEY}`, __tenant: tenant },
    body: JSON.stringify(subscription),
  });
  if (created.status !== 201) throw new Error(`a subscription of ${tenant} was not created: ${await created.text()}`);
}

/** What every stage shares: the receiver process and the way to start the service. */
export class BenchContext {
  constructor(
    readonly receiver: ChildHandle,
    readonly receiverPort: number,
    readonly quick: boolean,
    /** Directory for the service processes' CPU profiles (--cpu-prof), or null. */
    readonly profileDir: string | null,
    readonly verbose = false,
    /** With --deliveries=N: the throughput stages' backlog, instead of their size. */
    readonly throughputDeliveries: number | null = null,
    /** With --history-db=NAME: the history stage's database, kept after the run and its seed reused. */
    readonly historyDatabase: string | null = null,
    /** With --history-queries-only: the history stage times the admin queries, not the hot path nor a drop. */
    readonly historyQueriesOnly = false,
    /** With --history-drop-only: the history stage times publishes while a day drops, not the queries nor the hot path. */
    readonly historyDropOnly = false,
  ) {}

  /** With --verbose: prints how long each step of a stage took. */
  step(label: string): void {
    if (!this.verbose) return;
    const now = performance.now();
    console.log(`  [${((now - this.lastStep) / 1000).toFixed(1)} s] ${label}`);
    this.lastStep = now;
  }
  private lastStep = performance.now();

  get receiverUrl(): string {
    return `http://127.0.0.1:${this.receiverPort}/bench`;
  }

  async resetReceiver(failRate = 0, recordLatency = false): Promise<void> {
    await this.receiver.request({ type: 'reset', failRate, recordLatency }, 'ok');
  }

  async receiverStats(): Promise<ReceiverStats> {
    return (await this.receiver.request({ type: 'stats' }, 'stats')).stats;
  }

  /** The service as a child process with this role on this environment (a new database is created and migrated). */
  async startService(
    env: ScratchEnvironment,
    role: 'all' | 'api' | 'worker',
    settings: Record<string, string> = {},
  ): Promise<{ service: ChildHandle; baseUrl: string }> {
    // The heap cap the start scripts and the Dockerfile run the service with.
    const execArgv = [
      '--max-old-space-size=512',
      ...(this.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${this.profileDir}`] : []),
    ];
    const { handle, ready } = await ChildHandle.start(
      resolve(__dirname, 'app-process.js'),
      hooklineSettings(env, {
        ROLE: role,
        WEBHOOKS_ADMIN_API_KEY: BENCH_ADMIN_API_KEY,
        // Fast retries, so the failure stage settles in seconds.
        WEBHOOKS_RETRY_BASE_DELAY_MS: '200',
        WEBHOOKS_RETRY_MAX_DELAY_MS: '2000',
        WEBHOOKS_MAX_SEND_ATTEMPT_COUNT: '10',
        ...settings,
      }),
      execArgv,
    );
    return { service: handle, baseUrl: `http://127.0.0.1:${ready.port}` };
  }

  /**
   * Inserts `perTenant` active subscriptions to the receiver (its `path`) for each tenant `prefix<i>`, i in
   * [from, to).
   */
  async insertSubscriptions(
    env: ScratchEnvironment,
    prefix: string,
    from: number,
    to: number,
    perTenant: number,
    path = '/bench',
  ): Promise<void> {
    // Three spellings that all match order.created: exact, prefix wildcard and '*'.
    await env.query(
      `INSERT INTO webhook_subscriptions (id, tenant_id, webhook_uri, secret, webhooks, is_active, concurrency_stamp)
       SELECT gen_random_uuid(), $1 || lpad((g / $4)::text, 5, '0'), $2, $3,
              CASE g % 3 WHEN 0 THEN ARRAY['order.created'] WHEN 1 THEN ARRAY['order.*'] ELSE ARRAY['*'] END, true, md5(g::text)
       FROM generate_series($5::int * $4, $6::int * $4 - 1) g`,
      [prefix, this.receiverUrl.replace(/\/bench$/, path), generateWebhookSecret(), perTenant, from, to],
    );
    await env.query('ANALYZE webhook_subscriptions');
  }

  /**
   * Waits until the receiver has answered 200 for `expected` distinct deliveries and no delivery is pending;
   * returns when that was seen. Fails after `timeoutMs`.
   */
  async waitForDelivered(env: ScratchEnvironment, expected: number, timeoutMs: number): Promise<number> {
    await waitUntil(async () => (await this.receiverStats()).succeededIds >= expected, {
      timeoutMs,
      intervalMs: 200,
      message: () => `fewer than ${expected} deliveries reached the receiver`,
    });
    await waitUntil(
      async () => (await env.query(`SELECT 1 FROM webhook_deliveries WHERE state = 'pending' LIMIT 1`)).length === 0,
      {
        timeoutMs: 60_000,
        intervalMs: 50,
        message: () => 'deliveries still pending after the receiver had them all',
      },
    );
    return Date.now();
  }

  /**
   * The spine's guarantees after a stage: every delivery succeeded, the receiver got each one, and every
   * request the receiver saw (since its last reset) is stored as an attempt. With `tenantId`, only that
   * tenant's rows count.
   */
  async verifyStored(env: ScratchEnvironment, expectedDeliveries: number, tenantId?: string): Promise<{ attempts: number }> {
    const [row] = await env.query<{ deliveries: string; succeeded: string; attempts: string }>(
      `
      SELECT (SELECT count(*) FROM webhook_deliveries WHERE $1::varchar IS NULL OR tenant_id = $1) AS deliveries,
             (SELECT count(*) FROM webhook_deliveries WHERE state = 'succeeded' AND ($1::varchar IS NULL OR tenant_id = $1)) AS succeeded,
             (SELECT count(*) FROM webhook_send_attempts WHERE $1::varchar IS NULL OR tenant_id = $1) AS attempts`,
      [tenantId ?? null],
    );
    const stats = await this.receiverStats();
    const problems: string[] = [];
    if (Number(row.deliveries) !== expectedDeliveries)
      problems.push(`${row.deliveries} deliveries stored, expected ${expectedDeliveries}`);
    if (Number(row.succeeded) !== expectedDeliveries)
      problems.push(`${row.succeeded} of ${expectedDeliveries} deliveries succeeded`);
    if (stats.succeededIds !== expectedDeliveries)
      problems.push(`receiver saw ${stats.succeededIds} distinct deliveries, expected ${expectedDeliveries}`);
    if (Number(row.attempts) !== stats.requests)
      problems.push(`${row.attempts} attempts stored for ${stats.requests} requests received`);
    if (problems.length) throw new Error(`guarantee broken: ${problems.join('; ')}`);
    return { attempts: Number(row.attempts) };
  }
}

/**
 * A scratch environment and the processes started on it, all stopped and dropped by close(). Given a database
 * name, the environment is that database, and close() keeps it.
 */
export class StageEnvironment {
  readonly env: ScratchEnvironment;
  private readonly services: ChildHandle[] = [];

  constructor(
    private readonly context: BenchContext,
    private readonly keptDatabase: string | null = null,
  ) {
    this.env = new ScratchEnvironment(keptDatabase ?? undefined);
  }

  async start(role: 'all' | 'api' | 'worker', settings: Record<string, string> = {}) {
    const started = await this.context.startService(this.env, role, settings);
    this.services.push(started.service);
    return started;
  }

  async close(): Promise<void> {
    for (const service of this.services.reverse()) await service.stop().catch(() => undefined);
    await (this.keptDatabase ? this.env.release() : this.env.drop()).catch(() => undefined);
  }
}
