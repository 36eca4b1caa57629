import type { NextFunction, Request, Response } from 'express';
import { SecretMatcher } from '@hookline/webhooks-core';

/**
 * Express middleware letting through only the host admin key, as `Authorization: Bearer <key>` or as the
 * password of HTTP Basic (any user name), so a browser can open the dashboard. Anything else gets 401 with a
 * Basic challenge.
 */
export function adminCredentialMiddleware(adminApiKey: string) {
  const adminKey = new SecretMatcher(adminApiKey);
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = presentedKey(req.headers.authorization);
    if (given !== null && adminKey.matches(given)) return next();
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
