import { Inject, Injectable, Logger } from '@nestjs/common';
import { JWTPayload, JWTVerifyGetKey, createRemoteJWKSet, jwtVerify } from 'jose';
import { isValidTenantId } from '@hookline/webhooks-core';
import { JwtAuthOptions, WEBHOOKS_AUTH_OPTIONS, WebhooksAuthOptions } from './webhooks-auth.options';

export interface JwtIdentity {
  subject: string | null;
  tenantId: string | null;
  permissions: string[];
}

/** Verifies bearer JWTs from the configured identity server: signature, expiry, issuer and audience. */
@Injectable()
export class JwtCredentialVerifier {
  private readonly logger = new Logger(JwtCredentialVerifier.name);
  private readonly options: JwtAuthOptions | null;
  private readonly key: Uint8Array | JWTVerifyGetKey | null;

  constructor(@Inject(WEBHOOKS_AUTH_OPTIONS) auth: WebhooksAuthOptions) {
    this.options = auth.jwt;
    this.key = !auth.jwt
      ? null
      : auth.jwt.jwksUrl
        ? createRemoteJWKSet(new URL(auth.jwt.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 })
        : new TextEncoder().encode(auth.jwt.secret ?? '');
  }

  get enabled(): boolean {
    return this.options !== null;
  }

  static looksLikeJwt(token: string): boolean {
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
  }

  /** The identity in a valid token; null for an invalid, expired or foreign one (the reason is logged at debug). */
  async verify(token: string): Promise<JwtIdentity | null> {
    if (!this.options || !this.key) return null;
    let payload: JWTPayload;
    try {
      const verifyOptions = {
        issuer: this.options.issuer ?? undefined,
        audience: this.options.audience ?? undefined,
        algorithms: this.options.jwksUrl ? ['RS256', 'PS256', 'ES256'] : ['HS256'],
      };
      ({ payload } =
        typeof this.key === 'function'
          ? await jwtVerify(token, this.key, verifyOptions)
          : await jwtVerify(token, this.key, verifyOptions));
    } catch (e) {
      this.logger.debug(`JWT refused: ${(e as Error).message}`);
      return null;
    }
    const tenant = payload[this.options.tenantClaim];
    if (tenant !== undefined && tenant !== null && tenant !== '' && !(typeof tenant === 'string' && isValidTenantId(tenant))) {
      return null;
    }
    return {
      subject: payload.sub ?? null,
      tenantId: typeof tenant === 'string' && tenant !== '' ? tenant : null,
      permissions: readPermissions(payload[this.options.permissionsClaim]),
    };
  }
}

function readPermissions(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((p): p is string => typeof p === 'string');
  if (typeof claim === 'string') return claim.split(/[\s,]+/).filter(Boolean);
  return [];
}
