import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import { PRINCIPAL_KEY, WebhooksPrincipal } from '../auth/webhooks-principal';

export { TENANT_HEADER } from '../auth/webhooks-auth.guard';

/** The tenant the request acts for (null: the host), as WebhooksAuthGuard established it. */
export const CurrentTenant = createParamDecorator((_: unknown, ctx: ExecutionContext): string | null => {
  const principal: WebhooksPrincipal | undefined = ctx.switchToHttp().getRequest()[PRINCIPAL_KEY];
  if (!principal) throw new Error('@CurrentTenant() used on a route without WebhooksAuthGuard (add @WebhooksApi())');
  return principal.tenantId;
});
