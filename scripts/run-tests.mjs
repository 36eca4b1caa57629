#!/usr/bin/env node
// Runs the compiled tests (.test-build/, made by `npm run build:test`) with node:test.
//   node scripts/run-tests.mjs                  every *.spec.ts and *.e2e-spec.ts of the sources
//   node scripts/run-tests.mjs --unit           only the unit specs (*.spec.ts)
//   node scripts/run-tests.mjs test/retries.e2e-spec.ts libs/webhooks   the files named, or those whose path contains a word
// Only tests whose source still exists run, so the incremental build's leftovers of deleted files never do.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE_DIRS = ['apps', 'libs', 'test', 'bench'];
const OUT_DIR = '.test-build';
const isTest = (path) => path.endsWith('.spec.ts') || path.endsWith('.e2e-spec.ts');

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => a !== '--unit').map((a) => a.replace(/^\.test-build\//, '').replace(/\.js$/, '.ts'));

const sources = SOURCE_DIRS.flatMap((dir) =>
  readdirSync(dir, { recursive: true })
    .map((path) => join(dir, path))
    .filter((path) => !path.includes('node_modules') && isTest(path)),
)
  .filter((path) => !unitOnly || !path.endsWith('.e2e-spec.ts'))
  .filter((path) => filters.length === 0 || filters.some((f) => path.includes(f)))
  .sort();

if (sources.length === 0) {
  console.error(`No test matches ${filters.join(', ')}`);
  process.exit(1);
}
const compiled = sources.map((path) => join(OUT_DIR, path.replace(/\.ts$/, '.js')));
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...compiled], { stdio: 'inherit' });
process.exit(run.status ?? 1);
