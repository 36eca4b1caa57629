import 'reflect-metadata';
import { ConsoleLogger, INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { WebhooksExceptionFilter } from '@hookline/webhooks-management';
import { AppModule } from './app.module';
import type { HooklineConfig } from './config/hookline.config';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Builds the application (not yet listening): used by main.ts and by the e2e tests alike. */
export async function createHooklineApp(config: HooklineConfig): Promise<INestApplication> {
  const logger = new ConsoleLogger({
    json: config.log.json,
    logLevels: LEVELS.slice(0, LEVELS.indexOf(config.log.level) + 1),
  });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { logger, bodyParser: false });
  app.useBodyParser('json', { limit: config.http.bodyLimitBytes });
  // Errors raised before a controller (malformed JSON, body too large) get the API's error shape too.
  app.useGlobalFilters(new WebhooksExceptionFilter());
  app.enableShutdownHooks();
  return app;
}
