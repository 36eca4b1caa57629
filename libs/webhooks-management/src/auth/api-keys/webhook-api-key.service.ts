import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { WebhookNotFoundError, WebhookValidationError } from '@hookline/webhooks-core';
import type { WebhooksPrincipal } from '../webhooks-principal';
import { ApiKeyQuery, WebhookApiKey, WebhookApiKeyStore } from './webhook-api-key';

const KEY_PREFIX = 'hlk_';
/** `hlk_` and 32 random bytes in base64url. */
const KEY_FORMAT = /^hlk_[A-Za-z0-9_-]{43}$/;

/**
 * Keys carry 256 random bits, so a plain SHA-256 is enough to make a stolen table useless (a slow password
 * hash protects guessable secrets; these are not guessable) and keeps each request to one indexed lookup.
 */
const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export interface CreateApiKeyInput {
  name: string;
  permissions: string[];
  expiresAt?: Date;
}

@Injectable()
export class WebhookApiKeyService {
  constructor(private readonly keys: WebhookApiKeyStore) {}

  /** Creates a key for the caller's acting tenant; answers the key itself, shown this once only. */
  async create(caller: WebhooksPrincipal, input: CreateApiKeyInput): Promise<{ apiKey: WebhookApiKey; key: string }> {
    const permissions = [...new Set(input.permissions)];
    const notHeld = permissions.filter((p) => !caller.permissions.has(p));
    if (notHeld.length) {
      throw new WebhookValidationError('permissions', `a key cannot grant permissions its creator lacks: ${notHeld.join(', ')}`);
    }
    if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
      throw new WebhookValidationError('expiresAt', 'must be in the future');
    }
    const key = KEY_PREFIX + randomBytes(32).toString('base64url');
    const apiKey: WebhookApiKey = {
      id: randomUUID(),
      tenantId: caller.tenantId,
      name: input.name,
      keyPrefix: key.slice(0, 10),
      keyHash: hashKey(key),
      permissions,
      creationTime: new Date(),
      expiresAt: input.expiresAt ?? null,
      revokedAt: null,
    };
    await this.keys.insert(apiKey);
    return { apiKey, key };
  }

  list(query: ApiKeyQuery) {
    return this.keys.list(query);
  }

  async get(tenantId: string | null, id: string): Promise<WebhookApiKey> {
    const apiKey = await this.keys.findById(tenantId, id);
    if (!apiKey) throw new WebhookNotFoundError('API key', id);
    return apiKey;
  }

  async revoke(tenantId: string | null, id: string): Promise<void> {
    if (!(await this.keys.revoke(tenantId, id, new Date()))) throw new WebhookNotFoundError('API key', id);
  }

  /** The key's record if it is well-formed, known, not revoked and not expired; otherwise null. */
  async authenticate(key: string): Promise<WebhookApiKey | null> {
    if (!KEY_FORMAT.test(key)) return null;
    const apiKey = await this.keys.findByHash(hashKey(key));
    if (!apiKey || apiKey.revokedAt) return null;
    if (apiKey.expiresAt && apiKey.expiresAt.getTime() <= Date.now()) return null;
    return apiKey;
  }

  static looksLikeApiKey(token: string): boolean {
    return token.startsWith(KEY_PREFIX);
  }
}
