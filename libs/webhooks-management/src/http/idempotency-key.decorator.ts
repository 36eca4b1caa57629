import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { Request } from 'express';
import { IDEMPOTENCY_KEY_RULE, isValidIdempotencyKey } from '@hookline/webhooks';
import { RequestValidationError } from './webhooks-api-error';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** The request's `Idempotency-Key` header, validated; undefined when absent. */
export const IdempotencyKey = createParamDecorator((_: unknown, ctx: ExecutionContext): string | undefined => {
  const value = ctx.switchToHttp().getRequest<Request>().headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
  if (value === undefined) return undefined;
  if (!isValidIdempotencyKey(value)) {
    throw new RequestValidationError([{ field: IDEMPOTENCY_KEY_HEADER, message: IDEMPOTENCY_KEY_RULE }]);
  }
  return value;
});
