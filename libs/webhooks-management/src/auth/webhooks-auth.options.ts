/** Verifies JWT bearer tokens from an external identity server (as ABP services do). */
export interface JwtAuthOptions {
  /** HS256 shared secret; or */
  secret: string | null;
  /** the identity server's JWKS address (RS256/ES256 keys, fetched and cached). */
  jwksUrl: string | null;
  issuer: string | null;
  audience: string | null;
  /** The claim naming the tenant (ABP: `tenantid`); absent means a host user. */
  tenantClaim: string;
  /** The claim listing permissions: an array, or a space- or comma-separated string. */
  permissionsClaim: string;
}

export interface WebhooksAuthOptions {
  /** The host administrator's key: every permission, may act for any tenant. Null: none. */
  adminApiKey: string | null;
  /** Null: JWTs are not accepted. */
  jwt: JwtAuthOptions | null;
  /**
   * How long a verified API key is trusted without reading it again (0: read on every request). A key revoked
   * in another process stops working within this; in the process that revoked it, at once.
   */
  apiKeyCacheMs?: number;
}

export const DEFAULT_API_KEY_CACHE_MS = 5_000;

export const WEBHOOKS_AUTH_OPTIONS = Symbol('WEBHOOKS_AUTH_OPTIONS');
