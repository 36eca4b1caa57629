import os from 'node:os';
import { resolve } from 'node:path';
import { ChildHandle } from './bench-ipc';
import { BenchContext } from './bench-support';
import { latencyOverHttp } from './ingest-stage';

/**
 * `npm run build:bench && node .bench-build/bench/ingest-layouts.js [--order=all,split,split,all] [--rate=500]`:
 * the ingest stage's publish-to-first-attempt run over HTTP, for one ROLE=all process and for an api and a
 * worker process, in the order given, so the two layouts are compared back to back (alternating, so a drift in
 * the machine's load favours neither). Prints one JSON line a run, with the load average before and after.
 */
async function main(): Promise<void> {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const order = (arg('order') ?? 'all,split,split,all').split(',');
  if (!order.every((o) => o === 'all' || o === 'split')) throw new Error('--order lists all and split');
  const rate = Number(arg('rate') ?? 500);
  const { handle: receiver, ready } = await ChildHandle.start(resolve(__dirname, 'receiver-process.js'), {});
  const context = new BenchContext(receiver, ready.port, false, null, false);
  const load = () => os.loadavg().map((l) => Math.round(l * 100) / 100);
  try {
    for (const roles of order as ('all' | 'split')[]) {
      const loadBefore = load();
      const figures = await latencyOverHttp(context, roles, rate);
      console.log(JSON.stringify({ roles, rate, loadBefore, loadAfter: load(), ...figures }));
    }
  } finally {
    await receiver.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
