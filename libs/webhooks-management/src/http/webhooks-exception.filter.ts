import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import {
  WebhookConflictError,
  WebhookNotFoundError,
  WebhookPayloadTooLargeError,
  WebhookValidationError,
} from '@hookline/webhooks-core';
import { ApiErrorDetail, RequestValidationError } from './webhooks-api-error';

export interface ApiError {
  status: number;
  code: string;
  message: string;
  details: ApiErrorDetail[];
}

const DATABASE_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03']);

/** True for errors that mean PostgreSQL could not be reached, as opposed to a bad query or bad data. */
export function isDatabaseUnavailable(e: unknown): boolean {
  const err = e as { code?: string; message?: string; driverError?: unknown };
  if (err?.driverError) return isDatabaseUnavailable(err.driverError);
  // Class 08 is "connection exception", but 08P01 (protocol violation) is a bad statement, not an outage.
  if (err?.code && (DATABASE_DOWN_CODES.has(err.code) || (err.code.startsWith('08') && err.code !== '08P01'))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED/i.test(err?.message ?? '');
}

const isBodyParserError = (cause: unknown): boolean =>
  cause instanceof SyntaxError || String((cause as { type?: unknown })?.type ?? '').startsWith('entity.');

/** `NOT_FOUND` → `NotFound`. */
const statusCode = (status: number): string =>
  (HttpStatus[status] ?? 'Error').toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());

/**
 * Renders every error of the webhooks API in one shape: `{ error: { code, message, details: [{ field, message }] } }`.
 */
@Catch()
export class WebhooksExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { status, code, message, details } = toApiError(exception);
    if (status === 401) response.setHeader('WWW-Authenticate', 'Bearer');
    response.status(status).json({ error: { code, message, details } });
  }
}

const logger = new Logger(WebhooksExceptionFilter.name);

/** The status and error body an error is answered with (also each failed event of a batch publish). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof WebhookValidationError) return { status: 400, code: e.code, message: e.message, details: e.details };
  if (e instanceof WebhookNotFoundError) return { status: 404, code: e.code, message: e.message, details: [] };
  if (e instanceof WebhookConflictError) return { status: 409, code: e.code, message: e.message, details: e.details };
  if (e instanceof WebhookPayloadTooLargeError) {
    return { status: 413, code: e.code, message: e.message, details: [{ field: e.field, message: e.reason }] };
  }
  if (e instanceof RequestValidationError) {
    return { status: 400, code: 'ValidationFailed', message: e.message, details: e.details };
  }
  if (e instanceof HttpException) {
    const status = e.getStatus();
    const body = e.getResponse();
    const message = typeof body === 'string' ? body : String((body as { message?: unknown }).message ?? e.message);
    // Nest wraps body-parser's errors (malformed JSON, body too large); they concern the request body.
    const details = isBodyParserError(e.cause) ? [{ field: 'body', message }] : [];
    return { status, code: statusCode(status), message, details };
  }
  if (isDatabaseUnavailable(e)) {
    logger.error(`Database unavailable: ${(e as Error).message}`);
    return {
      status: 503,
      code: 'ServiceUnavailable',
      message: 'The database is unavailable, so nothing was stored. Retry later.',
      details: [],
    };
  }
  logger.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  return { status: 500, code: 'InternalError', message: 'An unexpected error occurred.', details: [] };
}
