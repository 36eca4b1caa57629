/**
 * `column = $n` for a tenant, `column IS NULL` for the host: unlike IS NOT DISTINCT FROM, both can use an
 * index on the column. Pushes the tenant onto `params` when it needs one.
 */
export function tenantCondition(column: string, tenantId: string | null, params: unknown[]): string {
  if (tenantId === null) return `${column} IS NULL`;
  params.push(tenantId);
  return `${column} = $${params.length}`;
}
