import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/**
 * Express middleware letting through only the host admin key, as `Authorization: Bearer <key>` or as the
 * password of HTTP Basic (any user name), so a browser can open the dashboard. Anything else gets 401 with a
 * Basic challenge.
 */
export function adminCredentialMiddleware(adminApiKey: string) {
  const expected = digest(adminApiKey);
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = presentedKey(req.headers.authorization);
    if (given !== null && timingSafeEqual(digest(given), expected)) return next();
    res
      .status(401)
      .setHeader('WWW-Authenticate', 'Basic realm="Hookline", charset="UTF-8"')
      .json({ error: { code: 'Unauthorized', message: 'The host admin API key is required.', details: [] } });
  };
}

/** The key carried by a Bearer or Basic authorization header; null when there is none. */
export function presentedKey(authorization: string | undefined): string | null {
  const [scheme, value] = (authorization ?? '').trim().split(/\s+/, 2);
  if (!value) return null;
  if (/^bearer$/i.test(scheme)) return value;
  if (!/^basic$/i.test(scheme)) return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decoded.slice(colon + 1);
}

/** Fixed-length digests, so comparing takes the same time whatever the length of what was presented. */
const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();
