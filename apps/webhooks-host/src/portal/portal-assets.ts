import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';

/** Where the portal is served. */
export const PORTAL_ROUTE = '/portal';
/** `npm run build` puts the built portal here (dist/portal beside dist/apps). */
export const PORTAL_ASSETS_DIR = resolve(__dirname, '../../../../portal');

/**
 * The portal runs nothing but its own bundled scripts and styles, talks to its own origin only, and may be
 * framed by the listed origins alone. Trusted Types forbid HTML sinks altogether: outside data stays text.
 */
export function portalContentSecurityPolicy(allowedOrigins: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${["'self'", ...allowedOrigins].join(' ')}`,
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

/**
 * Serves the built portal (a single-page app) under /portal with its security headers: hashed assets for a
 * year, index.html for every other path so deep links work.
 */
export function servePortal(app: NestExpressApplication, allowedOrigins: readonly string[], dir = PORTAL_ASSETS_DIR): void {
  const csp = portalContentSecurityPolicy(allowedOrigins);
  const index = join(dir, 'index.html');
  app.use(
    PORTAL_ROUTE,
    (_req: Request, res: Response, next: NextFunction) => {
      res.setHeader('Content-Security-Policy', csp);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Referrer-Policy', 'no-referrer');
      next();
    },
    express.static(dir, {
      index: false,
      setHeaders: (res, path) =>
        res.setHeader('Cache-Control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'),
    }),
    (req: Request, res: Response) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.status(405).end();
      if (!existsSync(index)) {
        return void res.status(404).type('text/plain').send('The portal is not built: run `npm run build`.');
      }
      res.setHeader('Cache-Control', 'no-cache');
      // The directory itself may sit under a dot-directory (.test-build): allow it.
      res.sendFile(index, { dotfiles: 'allow' });
    },
  );
}
