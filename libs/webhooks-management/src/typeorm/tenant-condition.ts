import { type FindOperator, IsNull } from 'typeorm';

/**
 * Tenant scoping of the stores' queries: every predicate a store puts on a tenant column is made here, in one of
 * three forms (tenant-condition.spec.ts scans the stores for any other). Null is the host.
 */

/**
 * The tenant filter of a list or a search: `column = $n` for a tenant, `column IS NULL` for the host, or
 * `column = ANY($n::varchar[])` for several tenants. Unlike IS NOT DISTINCT FROM, each can use an index that
 * starts with the column. Pushes the tenant (or tenants) onto `params` when it needs them.
 */
export function tenantCondition(column: string, tenantId: string | null | readonly string[], params: unknown[]): string {
  if (tenantId === null) return `${column} IS NULL`;
  params.push(tenantId);
  return typeof tenantId === 'string' ? `${column} = $${params.length}` : `${column} = ANY($${params.length}::varchar[])`;
}

/**
 * The tenant check of a lookup by key, in a statement of one spelling for the host and every tenant (a prepared
 * statement, or one built once): `column IS NOT DISTINCT FROM param`, the tenant or null bound at `param` (`$2`,
 * `:tenantId`). The key finds the row; this only checks its owner.
 */
export const tenantMatches = (column: string, param: string): string => `${column} IS NOT DISTINCT FROM ${param}`;

/** The same filter in TypeORM's find options: `{ tenantId: tenantWhere(tenantId) }`. */
export const tenantWhere = (tenantId: string | null): string | FindOperator<string> => tenantId ?? IsNull();
