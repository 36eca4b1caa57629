import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { WebhookNotFoundError, WebhookValidationError, secretDigest } from '@hookline/webhooks-core';
import { DEFAULT_API_KEY_CACHE_MS, WEBHOOKS_AUTH_OPTIONS, WebhooksAuthOptions } from '../webhooks-auth.options';
import type { WebhooksPrincipal } from '../webhooks-principal';
import { ApiKeyQuery, WebhookApiKey, WebhookApiKeyStore } from '../../domain/ports/webhook-api-key.store';

const KEY_PREFIX = 'hlk_';
/** `hlk_` and 32 random bytes in base64url. */
const KEY_FORMAT = /^hlk_[A-Za-z0-9_-]{43}$/;

/**
 * Keys carry 256 random bits, so a plain SHA-256 is enough to make a stolen table useless (a slow password
 * hash protects guessable secrets; these are not guessable) and keeps each request to one indexed lookup.
 */
const hashKey = (key: string, digest = secretDigest(key)) => digest.toString('hex');

/** Most verified keys one process remembers; the least recently used go first. */
const MAX_CACHED_KEYS = 10_000;

export interface CreateApiKeyInput {
  name: string;
  permissions: string[];
  expiresAt?: Date;
}

@Injectable()
export class WebhookApiKeyService {
  /**
   * Keys found valid lately, by hash, so a busy caller does not cost a database read per request. An entry
   * lives `apiKeyCacheMs` from its read (a hit does not extend it): that bounds how long a revocation made
   * by another process goes unseen. Unknown keys are never cached.
   */
  private readonly verified: LRUCache<string, WebhookApiKey> | null;

  constructor(
    private readonly keys: WebhookApiKeyStore,
    @Inject(WEBHOOKS_AUTH_OPTIONS) auth: WebhooksAuthOptions,
  ) {
    const ttl = auth.apiKeyCacheMs ?? DEFAULT_API_KEY_CACHE_MS;
    this.verified = ttl > 0 ? new LRUCache({ max: MAX_CACHED_KEYS, ttl }) : null;
  }

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

  /** Revoked at once in this process; other processes stop accepting the key within `apiKeyCacheMs`. */
  async revoke(tenantId: string | null, id: string): Promise<void> {
    if (!(await this.keys.revoke(tenantId, id, new Date()))) throw new WebhookNotFoundError('API key', id);
    for (const [hash, cached] of this.verified?.entries() ?? []) if (cached.id === id) this.verified!.delete(hash);
  }

  /**
   * The key's record if it is well-formed, known, not revoked and not expired; otherwise null. `digest`: the
   * key's secretDigest when the caller already has it.
   */
  async authenticate(key: string, digest?: Buffer): Promise<WebhookApiKey | null> {
    if (!KEY_FORMAT.test(key)) return null;
    const hash = hashKey(key, digest);
    let apiKey = this.verified?.get(hash);
    if (!apiKey) {
      const stored = await this.keys.findByHash(hash);
      if (!stored || stored.revokedAt) return null;
      this.verified?.set(hash, stored);
      apiKey = stored;
    }
    // Checked on every use, cached or not: a key expires to the millisecond.
    if (apiKey.expiresAt && apiKey.expiresAt.getTime() <= Date.now()) return null;
    return apiKey;
  }

  static looksLikeApiKey(token: string): boolean {
    return token.startsWith(KEY_PREFIX);
  }
}
