import { CallHandler, Header, Injectable, NestInterceptor, UseInterceptors, applyDecorators } from '@nestjs/common';
import { map } from 'rxjs';
import { jsonTextOf } from '@hookline/webhooks-core';

/**
 * Writes a route's answer with jsonTextOf instead of JSON.stringify, so JSON read from stored text with
 * parseJsonText (event data) reaches the caller as it was published: integers beyond 2^53, `-0`, key order.
 */
@Injectable()
class ExactJsonInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler) {
    return next.handle().pipe(map((answer: unknown) => jsonTextOf(answer, 'answer', Infinity)));
  }
}

/** Answers in JSON written exactly (see ExactJsonInterceptor). */
export const ExactJson = () =>
  applyDecorators(Header('Content-Type', 'application/json; charset=utf-8'), UseInterceptors(ExactJsonInterceptor));
