/**
 * A portal session as stored: who it acts for, what it may do, and two hashed secrets. The one-time token
 * (in the portal URL) is exchanged once for the session token (in an HttpOnly cookie); neither is stored.
 */
export interface PortalSession {
  id: string;
  /** Null: a host session (the admin console), which may act for any tenant with `__tenant`. */
  tenantId: string | null;
  permissions: string[];
  /** SHA-256 of the one-time token; null once exchanged. */
  tokenHash: string | null;
  /** SHA-256 of the session token; null until the exchange. */
  sessionHash: string | null;
  creationTime: Date;
  /** The token and the session both stop working then. */
  expiresAt: Date;
}

/** Storage of portal sessions. The exchange must be atomic: a token is exchanged once, whoever races for it. */
export abstract class PortalSessionStore {
  /** Also deletes sessions that expired, so the table keeps only live ones. */
  abstract insert(session: PortalSession): Promise<void>;
  /** Swaps the token for the session hash if the token is unused and unexpired; null otherwise. */
  abstract exchange(tokenHash: string, sessionHash: string, now: Date): Promise<PortalSession | null>;
  /** The live session whose token hashes to this; null when unknown or expired. */
  abstract findLive(sessionHash: string, now: Date): Promise<PortalSession | null>;
  abstract delete(sessionHash: string): Promise<void>;
}
