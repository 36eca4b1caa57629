import { randomUUID } from 'node:crypto';
import http from 'node:http';
import Bull from 'bull';
import { Pool } from 'pg';
import { ensureDatabaseExists } from '@hookline/webhooks-management';
import { REDIS_URL, ScratchEnvironment } from '../test/support/hookline';
import { BenchContext, round, signedEnvelope } from './bench-support';
import { type Figures, type Stage, WORKER_CONCURRENCY } from './stages';

/** The service's default PostgreSQL pool size (DATABASE_POOL_SIZE), so the reference runs as wide as the service. */
const POOL_SIZE = 20;

/**
 * The issue's calibration, measured on this machine in this run: Bull jobs that each make one plain POST
 * (Node's `http`, keep-alive) to the same receiver, then the same with one PostgreSQL insert per job. No
 * signing per send, no delivery state, no attempt worth reading, no retries: what a job and a POST cost on
 * their own, against which the throughput stages' full spine can be read. Runs in the benchmark's own process.
 */
export const referenceStage: Stage = {
  name: 'reference',
  async run(context, shared) {
    const jobs = context.quick ? 500 : 20_000;
    const env = new ScratchEnvironment();
    await ensureDatabaseExists(env.databaseUrl());
    const pool = new Pool({ connectionString: env.databaseUrl(), max: POOL_SIZE });
    // Dropping the scratch database (WITH FORCE) can still reach a connection the ended pool is closing; its
    // 'terminating connection' error must not end the benchmark.
    pool.on('error', () => undefined);
    const post = plainPoster(context);
    try {
      await pool.query(`CREATE TABLE reference_attempts (id uuid PRIMARY KEY, job_id text NOT NULL, status_code int NOT NULL,
                        creation_time timestamptz NOT NULL DEFAULT now())`);
      // The JIT and the keep-alive sockets warm up first, not measured.
      await drainJobs(env, 'warm-up', jobs / 10, async () => void (await post.send()));
      await context.resetReceiver();
      const plain = await drainJobs(env, 'plain', jobs, async () => void (await post.send()));
      await context.resetReceiver();
      const withInsert = await drainJobs(env, 'insert', jobs, async (jobId) => {
        const status = await post.send();
        await pool.query('INSERT INTO reference_attempts (id, job_id, status_code) VALUES ($1, $2, $3)', [
          randomUUID(),
          jobId,
          status,
        ]);
      });
      const [{ count }] = (await pool.query('SELECT count(*)::int AS count FROM reference_attempts')).rows;
      if (count !== jobs) throw new Error(`${count} rows inserted for ${jobs} jobs`);
      const raw = Number(shared['raw POST/s']);
      const share = (rate: number) => (raw ? round((100 * rate) / raw) : 'n/a');
      return {
        'reference jobs': jobs,
        'Bull + POST jobs/s': Math.round(plain.rate),
        'Bull + POST share of raw %': share(plain.rate),
        'Bull + POST CPU µs/job': Math.round(plain.cpuMicros),
        'Bull + POST + insert jobs/s': Math.round(withInsert.rate),
        'Bull + POST + insert share of raw %': share(withInsert.rate),
        'Bull + POST + insert CPU µs/job': Math.round(withInsert.cpuMicros),
      } satisfies Figures;
    } finally {
      post.close();
      await pool.end();
      await env.drop();
    }
  },
};

/** POSTs the signed envelope to the receiver over one keep-alive agent; resolves its status, rejects unless 200. */
function plainPoster(context: BenchContext): { send(): Promise<number>; close(): void } {
  const { body, headers } = signedEnvelope();
  const agent = new http.Agent({ keepAlive: true, maxSockets: WORKER_CONCURRENCY });
  const options = { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } };
  return {
    send: () =>
      new Promise((resolve, reject) => {
        const request = http.request(context.receiverUrl, options, (response) => {
          response.resume();
          response.on('end', () =>
            response.statusCode === 200 ? resolve(200) : reject(new Error(`receiver answered ${response.statusCode}`)),
          );
        });
        request.on('error', reject);
        request.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/**
 * Adds `jobs` jobs to a fresh Bull queue (removed when complete, as the service's are), then processes them
 * `WORKER_CONCURRENCY` at a time with `work`: jobs per second from the first fetch to the last completion, and this
 * process's CPU per job over the same span.
 */
async function drainJobs(
  env: ScratchEnvironment,
  name: string,
  jobs: number,
  work: (jobId: string) => Promise<void>,
): Promise<{ rate: number; cpuMicros: number }> {
  const queue = new Bull(`reference-${name}`, REDIS_URL, {
    prefix: env.queuePrefix,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
  });
  try {
    for (let added = 0; added < jobs; added += 1_000) {
      await queue.addBulk(Array.from({ length: Math.min(1_000, jobs - added) }, (_, i) => ({ data: { n: added + i } })));
    }
    let completed = 0;
    const finished = new Promise<void>((resolve, reject) => {
      queue.on('completed', () => ++completed === jobs && resolve());
      queue.on('failed', (_job, e) => reject(e));
    });
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    void queue.process(WORKER_CONCURRENCY, (job) => work(String(job.id)));
    await finished;
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    return { rate: jobs / seconds, cpuMicros: (cpu.user + cpu.system) / jobs };
  } finally {
    await queue.close();
  }
}
