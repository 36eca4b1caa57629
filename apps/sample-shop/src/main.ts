import { Logger } from '@nestjs/common';
import { createShopApp } from './shop.app';
import { loadShopConfig } from './shop.config';

async function main(): Promise<void> {
  const config = loadShopConfig();
  const app = await createShopApp(config);
  await app.listen(config.port);
  new Logger('SampleShop').log(`Sample shop listening on http://localhost:${config.port}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
