import 'reflect-metadata';
import { ConsoleLogger, INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request } from 'express';
import { parseJsonText } from '@hookline/webhooks-core';
import { WebhooksExceptionFilter } from '@hookline/webhooks-management';
import { AppModule } from './app.module';
import { HooklineExpressAdapter } from './express-http-adapter';
import type { HooklineConfig } from './config/hookline.config';
import { servePortal } from './portal/portal-assets';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Builds the application (not yet listening): used by main.ts and by the e2e tests alike. */
export async function createHooklineApp(config: HooklineConfig): Promise<INestApplication> {
  const logger = new ConsoleLogger({
    json: config.log.json,
    logLevels: LEVELS.slice(0, LEVELS.indexOf(config.log.level) + 1),
  });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), new HooklineExpressAdapter(), {
    logger,
    bodyParser: false,
  });
  readJsonBodies(app, config.http.bodyLimitBytes);
  // Errors raised before a controller (malformed JSON, body too large) get the API's error shape too.
  app.useGlobalFilters(new WebhooksExceptionFilter());
  // No enableShutdownHooks(): main.ts handles SIGTERM itself, to drain and exit 0 (Nest re-raises the signal).
  if (config.role !== 'worker') {
    serveApiDocs(app);
    servePortal(app, config.portal.allowedOrigins);
  }
  if (!config.auth.adminApiKey && !config.auth.jwt) {
    logger.warn('No WEBHOOKS_ADMIN_API_KEY and no JWT settings: only existing API keys can call the API.', 'Hookline');
  }
  if (!config.encryptionKeys.length) {
    logger.warn('No WEBHOOKS_ENCRYPTION_KEY: subscription secrets are stored in plain text.', 'Hookline');
  }
  return app;
}

/**
 * JSON request bodies are read as bytes and parsed by parseJsonText, which keeps what JSON.parse would lose
 * (exact numbers, key order, keys such as `__proto__`) and refuses what it cannot keep, naming the path.
 */
function readJsonBodies(app: NestExpressApplication, limit: number): void {
  app.useBodyParser('raw', { type: 'application/json', limit });
  app.use((request: Request, _response: unknown, next: (error?: unknown) => void) => {
    if (!Buffer.isBuffer(request.body)) return next();
    // No body at all reads as an empty object, as Express's JSON parser has it.
    if (request.body.length === 0) {
      request.body = {};
      return next();
    }
    try {
      request.body = parseJsonText(request.body, { textOf: 'data' });
      next();
    } catch (e) {
      next(e);
    }
  });
}

/** OpenAPI: the UI at /api/docs, the document at /api/docs-json. */
function serveApiDocs(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Hookline')
      .setDescription(
        'Multi-tenant webhook delivery. Authenticate with `Authorization: Bearer <API key or JWT>`; ' +
          'a host credential acts for a tenant with the `__tenant` header.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}
