import { parseCookie, stringifySetCookie } from 'cookie';
import type { PortalSessionOptions } from './portal-session.options';

/** The HttpOnly cookie carrying a portal session's token. */
export const PORTAL_COOKIE = 'hookline_portal';
/** The API's path: the cookie goes to nothing else. */
const COOKIE_PATH = '/api/webhooks';

/**
 * A request carrying the session cookie must also carry this header unless it only reads. A page on another
 * origin cannot add it without a CORS preflight, which the service never grants: no cross-site request forgery.
 */
export const PORTAL_CSRF_HEADER = 'x-hookline-portal';

export function readPortalCookie(cookieHeader: string | undefined): string | null {
  return cookieHeader ? (parseCookie(cookieHeader)[PORTAL_COOKIE] ?? null) : null;
}

/** The Set-Cookie value for a session token valid until `expiresAt`; null `sessionToken` clears the cookie. */
export function portalSetCookie(options: PortalSessionOptions, sessionToken: string | null, expiresAt: Date): string {
  const crossSite = options.cookieSameSite === 'none';
  return stringifySetCookie(PORTAL_COOKIE, sessionToken ?? '', {
    httpOnly: true,
    sameSite: options.cookieSameSite,
    secure: crossSite,
    partitioned: crossSite,
    path: COOKIE_PATH,
    maxAge: sessionToken === null ? 0 : Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000)),
  });
}
