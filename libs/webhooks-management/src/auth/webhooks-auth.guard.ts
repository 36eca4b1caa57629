import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { TENANT_ID_RULE, WebhookValidationError, isValidTenantId } from '@hookline/webhooks-core';
import { PORTAL_CSRF_HEADER, readPortalCookie } from './portal-sessions/portal-cookie';
import { RefusedCredentialLimit } from './webhooks-rate-limit.guard';
import { WebhooksCredentialService } from './webhooks-credential.service';
import { withParents } from './webhooks-permissions';
import { HOST_ONLY, PRINCIPAL_KEY, REQUIRED_PERMISSIONS, WebhooksPrincipal } from './webhooks-principal';

/** ABP's tenant header: a host credential acts for this tenant. Absent or empty: the host. */
export const TENANT_HEADER = '__tenant';

/**
 * Every webhooks API route: 401 without a valid credential (429 once the client's address has had too many:
 * RefusedCredentialLimit), then the acting tenant, then 403 without the route's permissions. Leaves the
 * principal on the request for @CurrentTenant() and @CurrentPrincipal().
 */
@Injectable()
export class WebhooksAuthGuard implements CanActivate {
  /** By controller class and handler: a route's metadata is fixed once the application is built. */
  private readonly requirements = new WeakMap<Function, WeakMap<Function, RouteRequirements>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly credentials: WebhooksCredentialService,
    private readonly refusals: RefusedCredentialLimit,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request & { [PRINCIPAL_KEY]?: WebhooksPrincipal }>();
    const retryAfter = (seconds: number) => http.getResponse<Response>().setHeader('Retry-After', String(seconds));
    const principal = await this.refusals.check(request.ip, retryAfter, async () => {
      const found = await this.authenticate(request);
      if (!found) throw new UnauthorizedException('The credential is unknown, revoked or expired.');
      return found;
    });
    principal.tenantId = actingTenant(principal, request.headers[TENANT_HEADER]);

    const { permissions, hostOnly } = this.requirementsOf(context);
    const missing = permissions.filter((p) => !principal.permissions.has(p));
    if (missing.length) throw new ForbiddenException(`The credential lacks the permission ${missing.join(', ')}.`);
    if (hostOnly && principal.tenantId !== null) {
      throw new ForbiddenException('Only the host may do this (without the __tenant header).');
    }
    request[PRINCIPAL_KEY] = principal;
    return true;
  }

  /** What a route requires, read from its metadata once per route. */
  private requirementsOf(context: ExecutionContext): RouteRequirements {
    const [handler, controller] = [context.getHandler(), context.getClass()];
    let ofController = this.requirements.get(controller);
    if (!ofController) this.requirements.set(controller, (ofController = new WeakMap()));
    let requirements = ofController.get(handler);
    if (!requirements) {
      const targets = [handler, controller];
      const required = this.reflector.getAllAndMerge<string[]>(REQUIRED_PERMISSIONS, targets) ?? [];
      requirements = {
        permissions: [...new Set(required.flatMap(withParents))],
        hostOnly: this.reflector.getAllAndOverride<boolean>(HOST_ONLY, targets) ?? false,
      };
      ofController.set(handler, requirements);
    }
    return requirements;
  }

  /** The Authorization header if there is one, otherwise a portal session's cookie. */
  private authenticate(request: Request): Promise<WebhooksPrincipal | null> {
    const sessionToken = request.headers.authorization ? null : readPortalCookie(request.headers.cookie);
    if (sessionToken === null) return this.credentials.authenticate(bearerToken(request.headers.authorization));
    if (!SAFE_METHODS.has(request.method) && request.headers[PORTAL_CSRF_HEADER] === undefined) {
      throw new ForbiddenException(`A portal session's changes need the ${PORTAL_CSRF_HEADER} header.`);
    }
    return this.credentials.authenticatePortalSession(sessionToken);
  }
}

/** A route's permissions (each with its parents) and whether it is for the host only. */
interface RouteRequirements {
  permissions: readonly string[];
  hostOnly: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function bearerToken(header: string | undefined): string {
  if (!header) {
    throw new UnauthorizedException(
      'Missing credential: send Authorization: Bearer <API key or token>, or open a portal session.',
    );
  }
  const match = /^Bearer ([\x21-\x7e]+)$/i.exec(header.trim());
  if (!match) throw new UnauthorizedException('Malformed credential: expected Authorization: Bearer <API key or token>.');
  return match[1];
}

/** A host credential may act for a tenant; a tenant credential never acts for anyone else. */
function actingTenant(principal: WebhooksPrincipal, header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return principal.credentialTenantId;
  if (!isValidTenantId(value)) throw new WebhookValidationError(TENANT_HEADER, TENANT_ID_RULE);
  if (principal.credentialTenantId !== null && value !== principal.credentialTenantId) {
    throw new ForbiddenException(`A tenant credential cannot act for another tenant (${TENANT_HEADER} header).`);
  }
  return value;
}
