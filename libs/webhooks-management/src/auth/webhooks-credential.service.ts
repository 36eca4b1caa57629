import { Inject, Injectable } from '@nestjs/common';
import { SecretMatcher, secretDigest } from '@hookline/webhooks-core';
import { WebhookApiKeyService } from './api-keys/webhook-api-key.service';
import { JwtCredentialVerifier } from './jwt-credential.verifier';
import { PortalSessionService } from './portal-sessions/portal-session.service';
import { WEBHOOKS_AUTH_OPTIONS, WebhooksAuthOptions } from './webhooks-auth.options';
import { ALL_WEBHOOKS_PERMISSIONS } from './webhooks-permissions';
import type { WebhooksPrincipal } from './webhooks-principal';

/** Turns a bearer token (the admin key, an API key or a JWT) into the principal it proves, or null. */
@Injectable()
export class WebhooksCredentialService {
  private readonly adminKey: SecretMatcher | null;

  constructor(
    @Inject(WEBHOOKS_AUTH_OPTIONS) options: WebhooksAuthOptions,
    private readonly apiKeys: WebhookApiKeyService,
    private readonly jwt: JwtCredentialVerifier,
    private readonly portalSessions: PortalSessionService,
  ) {
    this.adminKey = options.adminApiKey ? new SecretMatcher(options.adminApiKey) : null;
  }

  /** The principal acts for its own tenant; the guard applies `__tenant` for host credentials. */
  async authenticate(token: string): Promise<WebhooksPrincipal | null> {
    // Hashed once: the admin key is compared by this digest, and API keys are looked up by it.
    const digest = secretDigest(token);
    if (this.adminKey?.matchesDigest(digest)) {
      return principal('admin-key', null, null, ALL_WEBHOOKS_PERMISSIONS);
    }
    if (WebhookApiKeyService.looksLikeApiKey(token)) {
      const key = await this.apiKeys.authenticate(token, digest);
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

/** The set of a permission list, built once per list: a cached API key's (or the admin's) list is the same each time. */
const permissionSets = new WeakMap<readonly string[], ReadonlySet<string>>();

function permissionSet(permissions: readonly string[]): ReadonlySet<string> {
  let set = permissionSets.get(permissions);
  if (!set) permissionSets.set(permissions, (set = new Set(permissions)));
  return set;
}

const principal = (
  kind: WebhooksPrincipal['kind'],
  id: string | null,
  tenantId: string | null,
  permissions: readonly string[],
): WebhooksPrincipal => ({ kind, id, credentialTenantId: tenantId, tenantId, permissions: permissionSet(permissions) });
