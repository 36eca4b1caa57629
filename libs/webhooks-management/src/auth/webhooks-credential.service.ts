import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { WebhookApiKeyService } from './api-keys/webhook-api-key.service';
import { JwtCredentialVerifier } from './jwt-credential.verifier';
import { PortalSessionService } from './portal-sessions/portal-session.service';
import { WEBHOOKS_AUTH_OPTIONS, WebhooksAuthOptions } from './webhooks-auth.options';
import { ALL_WEBHOOKS_PERMISSIONS } from './webhooks-permissions';
import type { WebhooksPrincipal } from './webhooks-principal';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Turns a bearer token (the admin key, an API key or a JWT) into the principal it proves, or null. */
@Injectable()
export class WebhooksCredentialService {
  private readonly adminKeyDigest: Buffer | null;

  constructor(
    @Inject(WEBHOOKS_AUTH_OPTIONS) options: WebhooksAuthOptions,
    private readonly apiKeys: WebhookApiKeyService,
    private readonly jwt: JwtCredentialVerifier,
    private readonly portalSessions: PortalSessionService,
  ) {
    this.adminKeyDigest = options.adminApiKey ? digest(options.adminApiKey) : null;
  }

  /** The principal acts for its own tenant; the guard applies `__tenant` for host credentials. */
  async authenticate(token: string): Promise<WebhooksPrincipal | null> {
    // Digests have equal length, so the comparison takes the same time whatever the token.
    if (this.adminKeyDigest && timingSafeEqual(digest(token), this.adminKeyDigest)) {
      return principal('admin-key', null, null, ALL_WEBHOOKS_PERMISSIONS);
    }
    if (WebhookApiKeyService.looksLikeApiKey(token)) {
      const key = await this.apiKeys.authenticate(token);
      return key && principal('api-key', key.id, key.tenantId, key.permissions);
    }
    if (this.jwt.enabled && JwtCredentialVerifier.looksLikeJwt(token)) {
      const identity = await this.jwt.verify(token);
      return identity && principal('jwt', identity.subject, identity.tenantId, identity.permissions);
    }
    return null;
  }

  /** The principal of a portal session's cookie, or null. */
  async authenticatePortalSession(sessionToken: string): Promise<WebhooksPrincipal | null> {
    const session = await this.portalSessions.authenticate(sessionToken);
    return session && principal('portal-session', session.id, session.tenantId, session.permissions);
  }
}

const principal = (
  kind: WebhooksPrincipal['kind'],
  id: string | null,
  tenantId: string | null,
  permissions: readonly string[],
): WebhooksPrincipal => ({ kind, id, credentialTenantId: tenantId, tenantId, permissions: new Set(permissions) });
