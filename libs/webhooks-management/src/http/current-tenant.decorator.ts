import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { Request } from 'express';
import { RequestValidationError } from './webhooks-api-error';

/** ABP's tenant header. Absent or empty: the host. */
export const TENANT_HEADER = '__tenant';
const TENANT_ID_REGEX = /^[A-Za-z0-9_.:-]{1,64}$/;

/** The caller's tenant id from the `__tenant` header, or null for the host. */
export const CurrentTenant = createParamDecorator((_: unknown, ctx: ExecutionContext): string | null => {
  const raw = ctx.switchToHttp().getRequest<Request>().headers[TENANT_HEADER];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === '') return null;
  if (!TENANT_ID_REGEX.test(value)) {
    throw new RequestValidationError([
      { field: TENANT_HEADER, message: 'must be 1-64 characters of letters, digits, ".", "_", ":" or "-"' },
    ]);
  }
  return value;
});
