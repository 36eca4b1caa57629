import { Logger } from '@nestjs/common';
import { SecretCipher } from '@hookline/webhooks-core';
import { SubscriptionSecretEncryption, createWebhooksDataSource, webhooksDataSourceOptions } from '@hookline/webhooks-management';
import { ConfigurationError, loadHooklineConfig } from './config/hookline.config';

/**
 * `npm run secrets:reencrypt`: re-encrypts every stored subscription secret under the newest key of
 * WEBHOOKS_ENCRYPTION_KEYS (plain-text ones too), so older keys can then be removed. Safe while the service
 * runs: a row changed meanwhile is left as the service wrote it (already under the newest key).
 */
async function main(): Promise<void> {
  const config = loadHooklineConfig(process.env);
  const dataSource = await createWebhooksDataSource({ ...webhooksDataSourceOptions(config.database), url: config.database.url });
  try {
    const changed = await new SubscriptionSecretEncryption(dataSource, new SecretCipher(config.encryptionKeys)).reencryptAll();
    new Logger('SubscriptionSecrets').log(
      `Re-encrypted the secrets of ${changed} subscriptions under key '${config.encryptionKeys[0].id}'`,
    );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof ConfigurationError ? e.message : e);
  process.exit(1);
});
