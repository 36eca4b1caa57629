import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { ChildHandle } from './bench-ipc';
import { BenchContext } from './bench-support';
import { Figures, Stage, failureStage, latencyStage, limitStage, memoryStage, scaleStage, throughputStage } from './stages';
import { ingestStage } from './ingest-stage';
import { isolationStage } from './isolation-stage';
import { referenceStage } from './reference-stage';
import { filterStage } from './filter-stage';
import { historyStage } from './history-stage';

/**
 * `npm run bench [-- --quick] [-- --only=limit,latency] [-- --profile] [-- --deliveries=N] [-- --history-db=NAME]
 * [-- --history-queries-only] [-- --history-drop-only]`:
 * runs every stage of the benchmark against a receiver process, scratch databases and Redis prefixes of its own;
 * prints a table, writes bench/results/<timestamp>.json, and exits non-zero when a stage broke (an error or a
 * guarantee not kept). Targets missed are reported, not failures: figures depend on the machine.
 * `--history-db=NAME`: the history stage seeds into that database and keeps it, and a later run with the same
 * name and size reuses the seed (see history-stage.ts); `--history-queries-only`: it times the admin queries only;
 * `--history-drop-only`: it times publishes while a retention pass drops a day only.
 */
const STAGES: Stage[] = [
  limitStage,
  referenceStage,
  throughputStage(1),
  throughputStage(10),
  latencyStage,
  ingestStage,
  scaleStage,
  filterStage,
  memoryStage,
  failureStage,
  isolationStage,
  historyStage,
];

/** What a target asks of its figure, and how the table reads it. */
interface Goal {
  holds: (value: number) => boolean;
  text: string;
}

const shown = (n: number) => n.toLocaleString('en-US');
const below = (limit: number, unit = ''): Goal => ({ holds: (v) => v < limit, text: `< ${shown(limit)}${unit}` });
const atMost = (limit: number, unit = ''): Goal => ({ holds: (v) => v <= limit, text: `≤ ${shown(limit)}${unit}` });
const atLeast = (limit: number, unit = ''): Goal => ({ holds: (v) => v >= limit, text: `≥ ${shown(limit)}${unit}` });
const within = (limit: number, unit = ''): Goal => ({ holds: (v) => Math.abs(v) <= limit, text: `±${shown(limit)}${unit}` });
/** A stage's figure, as a number. */
const figure = (name: string) => (f: Figures) => Number(f[name]);

interface Target {
  name: string;
  stage: string;
  measure: (f: Figures) => number;
  goal: Goal;
}

const TARGETS: Target[] = [
  {
    name: 'publish-to-first-attempt p99 < 50 ms at 500 events/s',
    stage: 'latency',
    measure: figure('first attempt p99 ms'),
    goal: below(50, ' ms'),
  },
  {
    name: "single publish over HTTP with a tenant key ≥ 50% of a trivial route's rate",
    stage: 'ingest',
    measure: figure('tenant-key publish % of trivial'),
    goal: atLeast(50, '%'),
  },
  {
    name: 'batch publish ≥ 10,000 events/s in batches of 100 (HTTP)',
    stage: 'ingest',
    measure: figure('batch publish events/s (100 per request)'),
    goal: atLeast(10_000),
  },
  {
    name: 'publish-to-first-attempt p99 < 50 ms at 500 events/s over HTTP with npm start',
    stage: 'ingest',
    measure: figure('api + worker (npm start): first attempt p99 ms'),
    goal: below(50, ' ms'),
  },
  {
    name: 'publish p99 at 100k subscriptions within 2× of 100',
    stage: 'scale',
    measure: figure('p99 ratio many/100'),
    goal: atMost(2, '×'),
  },
  {
    name: 'publish cost with payload filters on 10% of subscriptions within 20% of without (CPU)',
    stage: 'payload filters',
    measure: figure('publish CPU with/without %'),
    goal: atMost(120, '%'),
  },
  {
    name: 'worker peak RSS < 300 MB draining 200,000 deliveries',
    stage: 'memory',
    measure: figure('worker peak RSS MB'),
    goal: below(300, ' MB'),
  },
  {
    name: 'isolation: healthy p99 < 100 ms while 10% of endpoints hang',
    stage: 'isolation',
    measure: figure('(b) p99 ms'),
    goal: below(100, ' ms'),
  },
  {
    name: 'isolation: healthy p99 < 100 ms while a tenant drains a backlog',
    stage: 'isolation',
    measure: figure('(c) p99 ms'),
    goal: below(100, ' ms'),
  },
  {
    name: 'isolation: healthy p99 under noise within 2× of without',
    stage: 'isolation',
    measure: (f) => Math.max(Number(f['p99 ratio (b)/(a)']), Number(f['p99 ratio (c)/(a)'])),
    goal: atMost(2, '×'),
  },
  {
    name: 'isolation: healthy deliveries/s under noise ≥ 80% of without',
    stage: 'isolation',
    measure: figure('deliveries/s ratio min((b),(c))/(a)'),
    goal: atLeast(0.8),
  },
  {
    name: 'isolation: rate-limited endpoint within ±10% of its limit',
    stage: 'isolation',
    measure: figure('(d) off the limit %'),
    goal: within(10, '%'),
  },
  {
    name: 'history: admin lists p99 < 100 ms over 30 days of history',
    stage: 'history',
    measure: figure('admin lists worst p99 ms'),
    goal: below(100, ' ms'),
  },
  {
    name: 'history: 24 h stats < 200 ms',
    stage: 'history',
    measure: figure('stats 24 h p99 ms'),
    goal: below(200, ' ms'),
  },
  {
    name: 'history: hot path deliveries/s on 30 days of history within 10% of an empty database',
    stage: 'history',
    measure: figure('hot path deliveries/s full/empty %'),
    goal: atLeast(90, '%'),
  },
  {
    name: 'history: first-attempt p99 on 30 days of history within 10% of an empty database',
    stage: 'history',
    measure: figure('first attempt p99 full/empty %'),
    goal: atMost(110, '%'),
  },
  {
    name: 'history: publish p99 unchanged while a retention pass drops a day',
    stage: 'history',
    measure: figure('publish p99 dropping/no drop'),
    goal: atMost(1.1, '×'),
  },
];

interface StageResult {
  name: string;
  ok: boolean;
  seconds: number;
  figures: Figures;
  error?: string;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const only = args
    .find((a) => a.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const profileDir = args.includes('--profile') ? resolve('bench/profiles') : null;
  const deliveries = Number(args.find((a) => a.startsWith('--deliveries='))?.slice('--deliveries='.length)) || null;
  const historyDatabase = args.find((a) => a.startsWith('--history-db='))?.slice('--history-db='.length) || null;
  // The stage drops and seeds anew a kept database whose seed is stale: never one that is not the benchmark's.
  if (historyDatabase !== null && !/^hookline_bench_[a-z0-9_]{1,48}$/.test(historyDatabase)) {
    throw new Error(`--history-db: '${historyDatabase}' must be hookline_bench_ followed by lower-case letters, digits or _`);
  }
  // A stage's full name picks it alone ("throughput fan-out 1"); a start of names picks each stage it starts.
  const picks = (name: string, o: string) => name === o || (!STAGES.some((s) => s.name === o) && name.startsWith(o));
  const stages = only ? STAGES.filter((s) => only.some((o) => picks(s.name, o))) : STAGES;
  const startedAt = new Date();
  const loadavgStart = os.loadavg();

  const { handle: receiver, ready } = await ChildHandle.start(resolve(__dirname, 'receiver-process.js'), {});
  const context = new BenchContext(
    receiver,
    ready.port,
    quick,
    profileDir,
    args.includes('--verbose'),
    deliveries,
    historyDatabase,
    args.includes('--history-queries-only'),
    args.includes('--history-drop-only'),
  );
  const results: StageResult[] = [];
  const shared: Figures = {};
  for (const stage of stages) {
    const started = performance.now();
    process.stdout.write(`${stage.name} ... `);
    try {
      const figures = await stage.run(context, shared);
      Object.assign(shared, figures);
      results.push({ name: stage.name, ok: true, seconds: secondsSince(started), figures });
      console.log(`${secondsSince(started)} s`);
    } catch (e) {
      const error = (e as Error).stack ?? String(e);
      results.push({ name: stage.name, ok: false, seconds: secondsSince(started), figures: {}, error });
      console.log(`BROKE after ${secondsSince(started)} s\n${error}`);
    }
  }
  await receiver.stop();

  // A target whose figure the stage did not measure (a partial run, such as --history-queries-only) is left out.
  const targets = TARGETS.filter((t) => results.some((r) => r.ok && r.name === t.stage))
    .map((t) => {
      const value = t.measure(results.find((r) => r.name === t.stage)!.figures);
      return { name: t.name, goal: t.goal.text, value, met: t.goal.holds(value) };
    })
    .filter((t) => !Number.isNaN(t.value));
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadavgStart: loadavgStart.map((l) => Math.round(l * 100) / 100),
    loadavgEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
  printTable(results, targets, machine, quick);

  const dir = resolve('bench/results');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify({ startedAt, quick, machine, stages: results, targets }, null, 2) + '\n');
  console.log(`\nResults written to ${file}`);
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}

const secondsSince = (started: number) => Math.round((performance.now() - started) / 100) / 10;

function printTable(
  results: StageResult[],
  targets: { name: string; goal: string; value: number; met: boolean }[],
  machine: Record<string, unknown>,
  quick: boolean,
): void {
  const rows: string[][] = [['stage', 'figure', 'value']];
  for (const r of results) {
    if (!r.ok) rows.push([r.name, 'BROKE', (r.error ?? '').split('\n')[0]]);
    for (const [figure, value] of Object.entries(r.figures)) rows.push([r.name, figure, String(value)]);
  }
  const width = (i: number) => Math.max(...rows.map((row) => row[i].length));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(width(i))).join(' | ')} |`;
  console.log(`\nHookline benchmark${quick ? ' (--quick: small sizes, a smoke test)' : ''}`);
  console.log(`machine: ${JSON.stringify(machine)}\n`);
  console.log(line(rows[0]));
  console.log(`|${rows[0].map((_, i) => '-'.repeat(width(i) + 2)).join('|')}|`);
  for (const row of rows.slice(1)) console.log(line(row));
  if (targets.length) {
    // The targets name the full run's sizes; a quick run only shows which way the figures point.
    console.log(quick ? '\nTargets (named at full sizes; this --quick run measured smaller ones)' : '\nTargets');
    for (const t of targets) console.log(`  ${t.met ? 'met    ' : 'MISSED '} ${t.name}: ${t.value} (goal ${t.goal})`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
