/**
 * The one tenant filter of a list or a search: `column = $n` for a tenant, `column IS NULL` for the host. Unlike
 * IS NOT DISTINCT FROM, both can use an index that starts with the column. Pushes the tenant onto `params` when it
 * needs one. (A lookup by primary key, whose row the key finds, checks its tenant with IS NOT DISTINCT FROM in a
 * prepared statement of one spelling instead.)
 */
export function tenantCondition(column: string, tenantId: string | null, params: unknown[]): string {
  if (tenantId === null) return `${column} IS NULL`;
  params.push(tenantId);
  return `${column} = $${params.length}`;
}
