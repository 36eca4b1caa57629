import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { Request } from 'express';
import { TENANT_ID_RULE, isValidTenantId } from '@hookline/webhooks-core';
import { RequestValidationError } from './webhooks-api-error';

/** ABP's tenant header. Absent or empty: the host. */
export const TENANT_HEADER = '__tenant';

/** The caller's tenant id from the `__tenant` header, or null for the host. */
export const CurrentTenant = createParamDecorator((_: unknown, ctx: ExecutionContext): string | null => {
  const raw = ctx.switchToHttp().getRequest<Request>().headers[TENANT_HEADER];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === '') return null;
  if (!isValidTenantId(value)) throw new RequestValidationError([{ field: TENANT_HEADER, message: TENANT_ID_RULE }]);
  return value;
});
