/**
 * The sample's own settings. It embeds the webhooks modules on its own database and Redis key prefix, so it runs
 * beside a Hookline service on the same PostgreSQL and Redis.
 */
export interface ShopConfig {
  port: number;
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  /** Key of the webhooks management API (`/api/webhooks/...`) for the shop's operators; null: none. */
  adminApiKey: string | null;
  /** Let tenants' webhooks reach loopback and private addresses (to try it with a local receiver). */
  allowPrivateNetworks: boolean;
  /**
   * Secrets of the shop's own webhook inbox (`POST /webhook-inbox`, verified with the receiver toolkit), current
   * first; empty: no inbox.
   */
  inboxSecrets: string[];
}

export function loadShopConfig(env: Record<string, string | undefined> = process.env): ShopConfig {
  const port = Number(env.SHOP_PORT || 3100);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SHOP_PORT: not a port (got '${env.SHOP_PORT}')`);
  const adminApiKey = env.SHOP_ADMIN_API_KEY || null;
  if (adminApiKey !== null && adminApiKey.length < 24) throw new Error('SHOP_ADMIN_API_KEY: must be at least 24 characters');
  return {
    port,
    databaseUrl: env.SHOP_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/sample_shop',
    redisUrl: env.SHOP_REDIS_URL || 'redis://127.0.0.1:6379',
    queuePrefix: env.SHOP_QUEUE_PREFIX || 'sample-shop',
    adminApiKey,
    allowPrivateNetworks: env.SHOP_ALLOW_PRIVATE_NETWORKS === 'true',
    inboxSecrets: (env.SHOP_INBOX_SECRETS ?? '').split(',').filter(Boolean),
  };
}
