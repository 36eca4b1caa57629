/** What a tenant id may be (ABP uses GUIDs): 1–64 letters, digits, '.', '_', ':' or '-'. Null means the host. */
const TENANT_ID_REGEX = /^[A-Za-z0-9_.:-]{1,64}$/;

export const TENANT_ID_RULE = 'must be 1-64 characters of letters, digits, ".", "_", ":" or "-"';

export const isValidTenantId = (tenantId: unknown): tenantId is string =>
  typeof tenantId === 'string' && TENANT_ID_REGEX.test(tenantId);
