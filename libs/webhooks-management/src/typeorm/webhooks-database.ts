import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { WEBHOOKS_ENTITIES } from './entities';
import { WEBHOOKS_MIGRATIONS } from './migrations';

export interface WebhooksDatabaseOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  poolSize: number;
}

/** Arbitrary constant: the advisory lock that lets one process at a time run migrations. */
const MIGRATION_LOCK_KEY = 727_210_001;

export function webhooksDataSourceOptions(options: WebhooksDatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.url,
    entities: WEBHOOKS_ENTITIES,
    migrations: WEBHOOKS_MIGRATIONS,
    migrationsTableName: 'webhooks_migrations',
    migrationsRun: false,
    synchronize: false,
    extra: {
      max: options.poolSize,
      // Fail fast when PostgreSQL is away, so callers get an error (HTTP 503) instead of a hang.
      connectionTimeoutMillis: 5_000,
      // The worker's prepared statements (queryPrepared) are planned for each batch's real size: a generic plan,
      // made for no size in particular, is a poor one for batches whose size varies from one to hundreds.
      // No JIT compilation and no parallel workers: a statement over many days' partitions is estimated costly
      // enough for both, and compiling it or starting workers then costs more than the few index pages it reads
      // (docs/performance.md, history at full size).
      options: '-c plan_cache_mode=force_custom_plan -c jit=off -c max_parallel_workers_per_gather=0',
    },
  };
}

/** Creates the database named in the URL when it does not exist yet (a fresh machine). */
export async function ensureDatabaseExists(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) throw new Error(`DATABASE_URL '${url}' names no database`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return;
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((e: { code?: string }) => {
      // Another process created it meanwhile: 42P04 (duplicate_database), or 23505 when both raced inside the catalog.
      if (e.code !== '42P04' && e.code !== '23505') throw e;
    });
    new Logger('WebhooksDatabase').log(`Created database '${name}'`);
  } finally {
    await client.end();
  }
}

/** How often a process that waits for another's migrations tries the lock again. */
const MIGRATION_LOCK_RETRY_MS = 100;

/**
 * Applies pending migrations; several processes starting together take turns on an advisory lock. A process
 * waiting for it tries again now and then rather than waiting in a statement: a statement in progress holds a
 * snapshot, which CREATE INDEX CONCURRENTLY (in a migration of the process holding the lock) would wait for.
 */
export async function runWebhooksMigrations(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    for (;;) {
      const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY]);
      if (locked) break;
      await new Promise((resolve) => setTimeout(resolve, MIGRATION_LOCK_RETRY_MS));
    }
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0) new Logger('WebhooksDatabase').log(`Applied migrations: ${applied.map((m) => m.name).join(', ')}`);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

/** DataSource factory for TypeOrmModule: makes sure the database exists and is migrated before use. */
export async function createWebhooksDataSource(options: DataSourceOptions & { url?: string }): Promise<DataSource> {
  if (options.url) await ensureDatabaseExists(options.url);
  const dataSource = await new DataSource(options).initialize();
  await runWebhooksMigrations(dataSource);
  return dataSource;
}
