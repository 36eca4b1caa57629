/** An API key as stored: only the SHA-256 of the key is kept, never the key itself. */
export interface WebhookApiKey {
  id: string;
  /** Null: a host key. */
  tenantId: string | null;
  name: string;
  /** The first characters of the key, to tell keys apart in lists. */
  keyPrefix: string;
  keyHash: string;
  permissions: string[];
  creationTime: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export interface ApiKeyQuery {
  tenantId: string | null;
  includeRevoked: boolean;
  skipCount: number;
  maxResultCount: number;
}

/** Storage of API keys; tenant-scoped except for the lookup by hash that authentication does. */
export abstract class WebhookApiKeyStore {
  abstract insert(key: WebhookApiKey): Promise<void>;
  abstract findByHash(keyHash: string): Promise<WebhookApiKey | null>;
  abstract findById(tenantId: string | null, id: string): Promise<WebhookApiKey | null>;
  abstract list(query: ApiKeyQuery): Promise<{ totalCount: number; items: WebhookApiKey[] }>;
  /** Returns false when the tenant has no such key. Revoking twice keeps the first time. */
  abstract revoke(tenantId: string | null, id: string, at: Date): Promise<boolean>;
}
