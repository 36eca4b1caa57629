import type { AddressInfo } from 'node:net';
import { INestApplication, Logger } from '@nestjs/common';
import { WebhookDefinitionError } from '@hookline/webhooks-core';
import { createHooklineApp } from './bootstrap';
import { ConfigurationError, HooklineConfig, loadHooklineConfig } from './config/hookline.config';

/** Beyond the grace period, how long closing connections may take before the process gives up on them. */
const CLOSE_MARGIN_MS = 10_000;

async function main(): Promise<void> {
  const config = loadHooklineConfig(process.env);
  const app = await createHooklineApp(config);
  await app.listen(config.http.port, config.http.host);
  const { port } = app.getHttpServer().address() as AddressInfo;
  new Logger('Hookline').log(`Role '${config.role}' listening on http://${config.http.host}:${port}`);
  let stopping: Promise<void> | undefined;
  const stop = (signal: NodeJS.Signals) => void (stopping ??= shutDown(app, config, signal));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop(signal));
  // Started by the launcher (launch.ts): should it die, stop as on SIGTERM rather than run on unsupervised.
  if (process.connected) process.once('disconnect', () => stop('SIGTERM'));
}

/**
 * Graceful stop: readiness turns false, the worker takes no new jobs and lets those in flight finish (up to
 * WEBHOOKS_SHUTDOWN_GRACE_MS), then the HTTP server, Redis and PostgreSQL are closed and the process exits 0.
 */
async function shutDown(app: INestApplication, config: HooklineConfig, signal: NodeJS.Signals): Promise<void> {
  const logger = new Logger('Hookline');
  logger.log(`${signal} received: shutting down`);
  const deadline = config.webhooks.shutdownGraceMs + CLOSE_MARGIN_MS;
  setTimeout(() => {
    logger.error(`Connections still not closed ${deadline} ms after ${signal}; exiting anyway`);
    process.exit(1);
  }, deadline).unref();
  try {
    await app.close();
    logger.log('Shut down cleanly');
    process.exit(0);
  } catch (e) {
    logger.error(`Shutdown failed: ${(e as Error).message}`);
    process.exit(1);
  }
}

main().catch((e: unknown) => {
  // Set-up mistakes are reported by their message alone; anything else with its stack.
  console.error(e instanceof ConfigurationError || e instanceof WebhookDefinitionError ? e.message : e);
  process.exit(1);
});
