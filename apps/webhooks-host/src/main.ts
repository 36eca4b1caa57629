import { Logger } from '@nestjs/common';
import { WebhookDefinitionError } from '@hookline/webhooks-core';
import { createHooklineApp } from './bootstrap';
import { ConfigurationError, loadHooklineConfig } from './config/hookline.config';

async function main(): Promise<void> {
  const config = loadHooklineConfig(process.env);
  const app = await createHooklineApp(config);
  await app.listen(config.http.port, config.http.host);
  new Logger('Hookline').log(`Role '${config.role}' listening on http://${config.http.host}:${config.http.port}`);
}

main().catch((e: unknown) => {
  // Set-up mistakes are reported by their message alone; anything else with its stack.
  console.error(e instanceof ConfigurationError || e instanceof WebhookDefinitionError ? e.message : e);
  process.exit(1);
});
