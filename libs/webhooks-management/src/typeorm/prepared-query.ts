import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { Pool } from 'pg';

/**
 * Runs one of the hot statements (the worker's, the publisher's insert) as a named prepared statement: each
 * pooled connection parses it once, not on every call (parsing and planning are a large share of PostgreSQL's
 * CPU while a worker drains a backlog). It is still planned per call (`plan_cache_mode` in webhooksDataSourceOptions). Errors are
 * PostgreSQL's own (`code` as in `isDeadlock`), not wrapped by TypeORM.
 */
export async function queryPrepared<T>(dataSource: DataSource, name: string, text: string, values: unknown[]): Promise<T[]> {
  const pool = (dataSource.driver as PostgresDriver).master as Pool;
  return (await pool.query({ name, text, values })).rows as T[];
}
