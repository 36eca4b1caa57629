import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ForbiddenException, Injectable } from '@nestjs/common';
import { WebhookValidationError } from '@hookline/webhooks-core';
import { WebhooksPermissions } from '../webhooks-permissions';
import type { WebhooksPrincipal } from '../webhooks-principal';
import { PortalSession, PortalSessionStore } from '../../domain/ports/portal-session.store';

const TOKEN_PREFIX = 'hlpt_';
const SESSION_PREFIX = 'hlps_';
/** A prefix and 32 random bytes in base64url. */
const TOKEN_FORMAT = /^hlpt_[A-Za-z0-9_-]{43}$/;
const SESSION_FORMAT = /^hlps_[A-Za-z0-9_-]{43}$/;

/** 256 random bits: a plain SHA-256 makes a stolen table useless (as for API keys). */
const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');
const newSecret = (prefix: string) => prefix + randomBytes(32).toString('base64url');

export const DEFAULT_PORTAL_SESSION_SECONDS = 3600;
export const MIN_PORTAL_SESSION_SECONDS = 5;
export const MAX_PORTAL_SESSION_SECONDS = 86_400;

const { Subscriptions, SendAttempts, Definitions } = WebhooksPermissions;

/** What a tenant's portal may do unless the host narrows it: manage endpoints, read and resend messages. */
export const TENANT_PORTAL_PERMISSIONS: readonly string[] = [
  Subscriptions.Default,
  Subscriptions.Create,
  Subscriptions.Update,
  Subscriptions.Delete,
  SendAttempts.Default,
  SendAttempts.Resend,
  Definitions.Default,
];

export interface CreatePortalSessionInput {
  /** Omitted: the caller's acting tenant (null for the host, which opens the admin console). */
  tenantId?: string | null;
  expiresInSeconds?: number;
  permissions?: string[];
}

export interface CreatedPortalSession {
  session: PortalSession;
  /** The one-time token, shown this once only. */
  token: string;
}

@Injectable()
export class PortalSessionService {
  constructor(private readonly sessions: PortalSessionStore) {}

  /**
   * A session for the caller's own tenant, or (a host credential) for any tenant or the host. It never
   * carries a permission its creator lacks.
   */
  async create(caller: WebhooksPrincipal, input: CreatePortalSessionInput): Promise<CreatedPortalSession> {
    const tenantId = input.tenantId === undefined ? caller.tenantId : input.tenantId;
    if (caller.credentialTenantId !== null && tenantId !== caller.credentialTenantId) {
      throw new ForbiddenException('A tenant credential opens portal sessions for its own tenant only (tenantId).');
    }
    const permissions = input.permissions
      ? [...new Set(input.permissions)]
      : tenantId === null
        ? [...caller.permissions].filter((p) => p !== WebhooksPermissions.PortalSessions)
        : TENANT_PORTAL_PERMISSIONS.filter((p) => caller.permissions.has(p));
    const notHeld = permissions.filter((p) => !caller.permissions.has(p));
    if (notHeld.length) {
      throw new WebhookValidationError(
        'permissions',
        `a session cannot grant permissions its creator lacks: ${notHeld.join(', ')}`,
      );
    }
    const token = newSecret(TOKEN_PREFIX);
    const now = new Date();
    const session: PortalSession = {
      id: randomUUID(),
      tenantId,
      permissions,
      tokenHash: hash(token),
      sessionHash: null,
      creationTime: now,
      expiresAt: new Date(now.getTime() + (input.expiresInSeconds ?? DEFAULT_PORTAL_SESSION_SECONDS) * 1000),
    };
    await this.sessions.insert(session);
    return { session, token };
  }

  /** The session token for a one-time token; null when the token is unknown, used or expired. */
  async exchange(token: string): Promise<{ session: PortalSession; sessionToken: string } | null> {
    if (!TOKEN_FORMAT.test(token)) return null;
    const sessionToken = newSecret(SESSION_PREFIX);
    const session = await this.sessions.exchange(hash(token), hash(sessionToken), new Date());
    return session && { session, sessionToken };
  }

  /** The live session a session token belongs to; null otherwise. */
  async authenticate(sessionToken: string): Promise<PortalSession | null> {
    if (!SESSION_FORMAT.test(sessionToken)) return null;
    return this.sessions.findLive(hash(sessionToken), new Date());
  }

  async end(sessionToken: string): Promise<void> {
    if (SESSION_FORMAT.test(sessionToken)) await this.sessions.delete(hash(sessionToken));
  }
}
