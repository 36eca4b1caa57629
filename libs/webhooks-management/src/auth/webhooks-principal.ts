import { ExecutionContext, SetMetadata, createParamDecorator } from '@nestjs/common';

/** Who is calling, as established by WebhooksAuthGuard from the request's credential. */
export interface WebhooksPrincipal {
  /** How the caller proved who it is. */
  kind: 'admin-key' | 'api-key' | 'jwt' | 'portal-session';
  /** The API key's id (api-key), the token's subject (jwt) or the session's id; null for the configured admin key. */
  id: string | null;
  /** The tenant the credential belongs to; null: a host credential. */
  credentialTenantId: string | null;
  /** The tenant the request acts for: the credential's, or for a host credential the `__tenant` header's. */
  tenantId: string | null;
  permissions: ReadonlySet<string>;
}

/** Where the guard leaves the principal on the request. */
export const PRINCIPAL_KEY = 'webhooksPrincipal';

export const REQUIRED_PERMISSIONS = 'webhooks:requiredPermissions';
export const HOST_ONLY = 'webhooks:hostOnly';

/** The route needs every one of these permissions (a child permission brings its parent along). */
export const RequirePermissions = (...permissions: string[]) => SetMetadata(REQUIRED_PERMISSIONS, permissions);

/** The route acts on host data only: a tenant credential, or a host one acting for a tenant, gets 403. */
export const HostOnly = () => SetMetadata(HOST_ONLY, true);

/** The authenticated caller (routes behind WebhooksApi only). */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): WebhooksPrincipal => ctx.switchToHttp().getRequest()[PRINCIPAL_KEY],
);
