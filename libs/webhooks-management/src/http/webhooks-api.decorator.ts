import { ParseUUIDPipe, UseFilters, UsePipes, ValidationPipe, applyDecorators } from '@nestjs/common';
import { RequestValidationError } from './webhooks-api-error';
import { WebhooksExceptionFilter } from './webhooks-exception.filter';

/** Validation and error rendering for the webhooks controllers, self-contained so a host's own settings do not leak in. */
export const WebhooksApi = () =>
  applyDecorators(
    UsePipes(
      new ValidationPipe({
        whitelist: true,
        forbidNonWhitelisted: true,
        transform: true,
        exceptionFactory: (errors) => RequestValidationError.fromValidationErrors(errors),
      }),
    ),
    UseFilters(WebhooksExceptionFilter),
  );

/** A route id that must be a UUID; anything else is a 400 naming the parameter. */
export const ParseId = (field = 'id') =>
  new ParseUUIDPipe({ exceptionFactory: () => new RequestValidationError([{ field, message: 'must be a UUID' }]) });
