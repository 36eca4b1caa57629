import { ParseUUIDPipe, PipeTransform, UseFilters, UseGuards, UsePipes, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { TENANT_ID_RULE, isValidTenantId, isValidWebhookName } from '@hookline/webhooks-core';
import { WebhooksAuthGuard } from '../auth/webhooks-auth.guard';
import { WebhooksRateLimitGuard } from '../auth/webhooks-rate-limit.guard';
import { RequestValidationError } from './webhooks-api-error';
import { WebhooksExceptionFilter } from './webhooks-exception.filter';
import { WebhooksValidationPipe } from './webhooks-validation.pipe';

/**
 * Authentication, validation and error rendering for the webhooks controllers, self-contained so a host's
 * own settings do not leak in.
 */
export const WebhooksApi = () =>
  applyDecorators(
    // The rate limit counts per credential, so it runs once the credential is known.
    UseGuards(WebhooksAuthGuard, WebhooksRateLimitGuard),
    ApiBearerAuth(),
    ApiForbiddenResponse({ description: 'The credential lacks a permission, or acts for a tenant it may not' }),
    UnauthenticatedWebhooksApi(),
  );

/** Validation and error rendering without the guard: for the one route whose body is the credential. */
export const UnauthenticatedWebhooksApi = () =>
  applyDecorators(
    ApiUnauthorizedResponse({ description: 'Missing, malformed, unknown, revoked or expired credential' }),
    ApiTooManyRequestsResponse({
      description:
        "The credential made its window's requests, or the client's address had its window's refused credentials; " +
        'Retry-After says when to retry',
    }),
    UsePipes(new WebhooksValidationPipe()),
    UseFilters(WebhooksExceptionFilter),
  );

/** A route id that must be a UUID; anything else is a 400 naming the parameter. */
export const ParseId = (field = 'id') =>
  new ParseUUIDPipe({ exceptionFactory: () => new RequestValidationError([{ field, message: 'must be a UUID' }]) });

/** A route name of a webhook or group (dotted words); anything else is a 400 naming the parameter. */
export const ParseName = (field = 'name'): PipeTransform<string, string> => ({
  transform: (value: string) => {
    if (!isValidWebhookName(value)) {
      throw new RequestValidationError([{ field, message: "must be dotted words of letters, digits, '_' or '-'" }]);
    }
    return value;
  },
});

/** A route tenant id; anything else is a 400 naming the parameter. */
export const ParseTenantId = (field = 'tenantId'): PipeTransform<string, string> => ({
  transform: (value: string) => {
    if (!isValidTenantId(value)) throw new RequestValidationError([{ field, message: TENANT_ID_RULE }]);
    return value;
  },
});
