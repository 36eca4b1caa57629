/** How portal sessions are handed out and carried. */
export interface PortalSessionOptions {
  /** The address browsers reach the service at (e.g. `https://hooks.example.com`); null: the request's own. */
  publicUrl: string | null;
  /** SameSite of the session cookie; `none` (cross-site iframes) also makes it Secure and Partitioned. */
  cookieSameSite: 'strict' | 'lax' | 'none';
}

export const PORTAL_SESSION_OPTIONS = Symbol('PORTAL_SESSION_OPTIONS');

export const DEFAULT_PORTAL_SESSION_OPTIONS: PortalSessionOptions = { publicUrl: null, cookieSameSite: 'strict' };
