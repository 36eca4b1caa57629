import 'reflect-metadata';
import { INestApplication, LogLevel, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { ShopConfig } from './shop.config';
import { ShopModule } from './shop.module';

/** Builds the shop (not yet listening): used by main.ts and by its e2e test. */
export async function createShopApp(
  config: ShopConfig,
  logger: LogLevel[] = ['error', 'warn', 'log'],
): Promise<INestApplication> {
  // The raw body is what the webhook inbox verifies signatures over.
  const app = await NestFactory.create(ShopModule.forRoot(config), { logger, rawBody: true });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  app.enableShutdownHooks();
  return app;
}
