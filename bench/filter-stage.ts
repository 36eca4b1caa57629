import type { MemoryReport, PublishReport } from './bench-ipc';
import { BenchContext, StageEnvironment, round } from './bench-support';
import { type Figures, type Stage, publishCommand, publishInProcess } from './stages';

/** Subscriptions of each tenant; one in ten carries a filter. */
const SUBSCRIPTIONS_PER_TENANT = 10;

/** Passes ORDER_DATA, so both tenants store the same deliveries and only matching differs. */
const FILTER = {
  'customer.email': { $exists: true },
  $or: [{ 'shippingAddress.country': { $in: ['GB', 'IE'] } }, { total: { $gte: 100_000 } }],
  'items.0.quantity': { $gte: 1 },
};

/**
 * Publish cost with payload filters on 10% of the subscriptions against the same publishes without any, in one
 * API process: rounds of in-process publishes alternate between a tenant whose subscriptions have no filter
 * and one whose subscriptions are the same but for a filter on one in ten. No worker runs, so the figures are
 * matching and storing only. Wall time and the process's CPU time are both reported; on a shared machine
 * CPU time is the steadier of the two.
 */
export const filterStage: Stage = {
  name: 'payload filters',
  async run(context: BenchContext) {
    const eventsPerRound = context.quick ? 200 : 2_000;
    const rounds = context.quick ? 2 : 8;
    const stage = new StageEnvironment(context);
    try {
      const { service: api } = await stage.start('api');
      await context.insertSubscriptions(stage.env, 'pfa', 0, 1, SUBSCRIPTIONS_PER_TENANT);
      await context.insertSubscriptions(stage.env, 'pfb', 0, 1, SUBSCRIPTIONS_PER_TENANT);
      await stage.env.query(
        `UPDATE webhook_subscriptions SET filter = $1
         WHERE id IN (SELECT id FROM webhook_subscriptions WHERE tenant_id = 'pfb00000' ORDER BY id LIMIT $2)`,
        [JSON.stringify(FILTER), SUBSCRIPTIONS_PER_TENANT / 10],
      );
      const measureRound = async (tenant: string) => {
        const before: MemoryReport = await api.request({ type: 'memory' }, 'memory');
        const report: PublishReport = await publishInProcess(
          api,
          publishCommand({ via: 'publisher', count: eventsPerRound, concurrency: 50, tenantIds: [tenant] }),
        );
        const after: MemoryReport = await api.request({ type: 'memory' }, 'memory');
        return { wallMs: report.elapsedMs, cpuMs: after.cpuMs - before.cpuMs };
      };
      // Warm-up of both paths (JIT, pools, the filter cache), not counted.
      await measureRound('pfa00000');
      await measureRound('pfb00000');
      const plain = { wallMs: 0, cpuMs: 0 };
      const filtered = { wallMs: 0, cpuMs: 0 };
      const variants = [
        ['pfa00000', plain],
        ['pfb00000', filtered],
      ] as const;
      for (let i = 0; i < rounds; i++) {
        // ABBA order: whatever the place in a round adds (a GC, a pool warming) falls on both variants alike.
        for (const [tenant, total] of i % 2 === 0 ? variants : [...variants].reverse()) {
          const r = await measureRound(tenant);
          total.wallMs += r.wallMs;
          total.cpuMs += r.cpuMs;
        }
      }
      const [counts] = await stage.env.query<{ a: string; b: string }>(
        `SELECT count(*) FILTER (WHERE tenant_id = 'pfa00000') AS a, count(*) FILTER (WHERE tenant_id = 'pfb00000') AS b
         FROM webhook_deliveries`,
      );
      if (counts.a !== counts.b) throw new Error(`${counts.a} deliveries without filters, ${counts.b} with: expected the same`);
      const events = eventsPerRound * rounds;
      const figures: Figures = {
        'events per variant': events,
        'subscriptions per event': SUBSCRIPTIONS_PER_TENANT,
        'publish events/s without filters': Math.round(events / (plain.wallMs / 1000)),
        'publish events/s with filters on 10%': Math.round(events / (filtered.wallMs / 1000)),
        'publish wall time with/without %': round((100 * filtered.wallMs) / plain.wallMs),
        'API CPU µs/event without filters': Math.round((1000 * plain.cpuMs) / events),
        'API CPU µs/event with filters on 10%': Math.round((1000 * filtered.cpuMs) / events),
        'publish CPU with/without %': round((100 * filtered.cpuMs) / plain.cpuMs),
      };
      return figures;
    } finally {
      await stage.close();
    }
  },
};
