import { waitUntil } from '../test/support/wait';
import type { ChildHandle } from './bench-ipc';
import { BenchContext, StageEnvironment, percentile, round, subscribeOverHttp } from './bench-support';
import { Stage, drainTimeoutMs, publishCommand, publishInProcess } from './stages';

/** Healthy tenants, one endpoint each, on the receiver's /bench. */
const HEALTHY_TENANTS = 20;
/** Tenants whose one endpoint never answers (/hang): about 10% of the endpoints. */
const HANGING_TENANTS = 2;
const HANG_TIMEOUT_SECONDS = 5;
/** The rate-limited endpoint's limit, per second. */
const RATE_LIMIT = 50;

/**
 * 8. Isolation: healthy tenants' first attempts at a steady rate, (a) alone, (b) while 10% of the endpoints hang
 * until their timeout, (c) while one tenant drains a 50,000-delivery backlog, and (d) a rate-limited endpoint's
 * achieved rate against its limit (measured first, on a backlog published before the worker starts). One worker
 * process with the default settings; its hanging endpoints time out after HANG_TIMEOUT_SECONDS.
 */
export const isolationStage: Stage = {
  name: 'isolation',
  async run(context) {
    const rate = context.quick ? 100 : 200;
    const seconds = context.quick ? 2 : 10;
    const backlog = context.quick ? 2_000 : 50_000;
    const limited = context.quick ? 100 : 500;
    const stage = new StageEnvironment(context);
    try {
      const { service: api, baseUrl } = await stage.start('api');
      await context.insertSubscriptions(stage.env, 'ih', 0, HEALTHY_TENANTS, 1);
      await context.insertSubscriptions(stage.env, 'ix', 0, HANGING_TENANTS, 1, '/hang');
      await context.insertSubscriptions(stage.env, 'ib', 0, 1, 20, '/bulk');
      await stage.env.query(`UPDATE webhook_subscriptions SET timeout_duration = $1 WHERE tenant_id LIKE 'ix%'`, [
        HANG_TIMEOUT_SECONDS,
      ]);
      await subscribeOverHttp(baseUrl, 'il00000', {
        webhookUri: context.receiverUrl.replace(/\/bench$/, '/limited'),
        webhooks: ['order.created'],
        rateLimitPerSecond: RATE_LIMIT,
      });
      // (d) first: the limited endpoint's whole backlog is there before the worker starts, so its drain is paced
      // by the limit alone, not by how fast the events could be published.
      await publishInProcess(api, publishCommand({ via: 'publisher', count: limited, concurrency: 20, tenantIds: ['il00000'] }));
      await context.resetReceiver();
      await stage.start('worker');
      let arrivals: number[] = [];
      await waitFor(
        async () => (arrivals = (await context.receiverStats()).otherPaths['/limited'] ?? []).length >= limited,
        limited,
      );
      const achieved = (arrivals.length - 1) / ((arrivals[arrivals.length - 1] - arrivals[0]) / 1000);
      context.step('(d) rate limit');

      const healthy = Array.from({ length: HEALTHY_TENANTS }, (_, i) => `ih${String(i).padStart(5, '0')}`);
      const measure = () => measureHealthy(context, api, healthy, rate, seconds);
      await measure(); // warm-up (JIT, connection pools): not counted
      const alone = await measure();
      context.step('(a) alone');

      const hanging = Array.from({ length: HANGING_TENANTS }, (_, i) => `ix${String(i).padStart(5, '0')}`);
      await publishInProcess(api, publishCommand({ via: 'publisher', count: 200, concurrency: 20, tenantIds: hanging }));
      // Each hanging endpoint holds its cap of sends (10 by default) before the measurement starts.
      await waitFor(async () => ((await context.receiverStats()).otherPaths['/hang']?.length ?? 0) >= 10 * HANGING_TENANTS, 200);
      const withHanging = await measure();
      const hangRequests = (await context.receiverStats()).otherPaths['/hang']?.length ?? 0;
      await stage.env.query(`UPDATE webhook_subscriptions SET is_active = false WHERE tenant_id LIKE 'ix%'`);
      context.step('(b) with hanging endpoints');

      await publishInProcess(
        api,
        publishCommand({ via: 'publisher', count: backlog / 20, concurrency: 50, tenantIds: ['ib00000'] }),
      );
      const withBacklog = await measure();
      const bulkSent = (await context.receiverStats()).otherPaths['/bulk']?.length ?? 0;
      const [{ pending }] = await stage.env.query<{ pending: string }>(
        `SELECT count(*) AS pending FROM webhook_deliveries WHERE tenant_id = 'ib00000' AND state = 'pending'`,
      );
      context.step('(c) with a backlog');

      return {
        'healthy endpoints': HEALTHY_TENANTS,
        'healthy events/s offered': rate,
        '(a) p50 ms': alone.p50,
        '(a) p99 ms': alone.p99,
        '(a) deliveries/s': alone.rate,
        '(b) hanging endpoints': HANGING_TENANTS,
        '(b) new sends to hanging endpoints meanwhile': hangRequests,
        '(b) p50 ms': withHanging.p50,
        '(b) p99 ms': withHanging.p99,
        '(b) deliveries/s': withHanging.rate,
        '(c) backlog deliveries': backlog,
        '(c) backlog sent meanwhile': bulkSent,
        '(c) backlog still pending after': Number(pending),
        '(c) p50 ms': withBacklog.p50,
        '(c) p99 ms': withBacklog.p99,
        '(c) deliveries/s': withBacklog.rate,
        '(d) limit/s': RATE_LIMIT,
        '(d) achieved/s': round(achieved),
        '(d) off the limit %': round((100 * (achieved - RATE_LIMIT)) / RATE_LIMIT),
        'p99 ratio (b)/(a)': round(withHanging.p99 / alone.p99, 2),
        'p99 ratio (c)/(a)': round(withBacklog.p99 / alone.p99, 2),
        'deliveries/s ratio min((b),(c))/(a)': round(Math.min(withHanging.rate, withBacklog.rate) / alone.rate, 2),
      };
    } finally {
      await stage.close();
    }
  },
};

/** Publishes to the healthy tenants at `rate` for `seconds` and waits for all: their first attempts' latency and rate. */
async function measureHealthy(
  context: BenchContext,
  api: ChildHandle,
  tenants: string[],
  rate: number,
  seconds: number,
): Promise<{ p50: number; p99: number; rate: number }> {
  await context.resetReceiver(0, true);
  const events = rate * seconds;
  await publishInProcess(api, publishCommand({ via: 'bus', count: events, ratePerSecond: rate, tenantIds: tenants }));
  await waitFor(async () => (await context.receiverStats()).succeededIds >= events, events);
  const { latenciesMs, firstAt, lastAt } = await context.receiverStats();
  return {
    p50: percentile(latenciesMs, 0.5),
    p99: percentile(latenciesMs, 0.99),
    rate: Math.round(events / ((lastAt! - firstAt!) / 1000)),
  };
}

/** Waits until `condition` holds, as long as `deliveries` may take to arrive. */
const waitFor = (condition: () => Promise<boolean>, deliveries: number): Promise<void> =>
  waitUntil(condition, {
    timeoutMs: drainTimeoutMs(deliveries),
    intervalMs: 100,
    message: () => `not all ${deliveries} deliveries arrived in time`,
  });
