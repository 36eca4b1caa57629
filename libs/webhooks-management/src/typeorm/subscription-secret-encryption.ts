import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ENCRYPTED_SECRET_PREFIX, SecretCipher } from '@hookline/webhooks-core';

/** Rows read and rewritten per statement. */
const PAGE_SIZE = 500;

type SecretRow = { id: string; secret: string; previous_secret: string | null };

/**
 * Brings the stored subscription secrets to the form the newest key writes. At start-up it encrypts those
 * still in plain text; `reencryptAll` (the `secrets:reencrypt` command) also moves those under older keys.
 *
 * Each row is rewritten only if it still holds what was read (compare and set), so processes starting
 * together, or a rotation meanwhile, never lose a secret: the loser of a race leaves the row alone.
 */
@Injectable()
export class SubscriptionSecretEncryption implements OnApplicationBootstrap {
  private readonly logger = new Logger('SubscriptionSecrets');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: SecretCipher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.assertKeysKnown();
    if (!this.cipher.enabled) return;
    const encrypted = await this.rewrite(ENCRYPTED_SECRET_PREFIX);
    if (encrypted) this.logger.log(`Encrypted the secrets of ${encrypted} subscriptions stored in plain text`);
  }

  /** Re-encrypts every secret not under the newest key (plain ones too); returns how many subscriptions changed. */
  async reencryptAll(): Promise<number> {
    if (!this.cipher.enabled) throw new Error('No encryption key is configured: nothing to re-encrypt with');
    return this.rewrite(this.cipher.currentPrefix());
  }

  /** Rewrites, page by page in id order, each row with a secret that does not start with `prefix`. */
  private async rewrite(prefix: string): Promise<number> {
    let changed = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows: SecretRow[] = await this.dataSource.query(
        `SELECT id, secret, previous_secret FROM webhook_subscriptions
         WHERE id > $1 AND (NOT starts_with(secret, $2) OR NOT starts_with(previous_secret, $2))
         ORDER BY id LIMIT $3`,
        [after, prefix, PAGE_SIZE],
      );
      if (!rows.length) return changed;
      after = rows[rows.length - 1].id;
      const [updated]: [unknown[], number] = await this.dataSource.query(
        `UPDATE webhook_subscriptions s SET secret = v.new_secret, previous_secret = v.new_previous
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS v(id, old_secret, old_previous, new_secret, new_previous)
         WHERE s.id = v.id AND s.secret = v.old_secret AND s.previous_secret IS NOT DISTINCT FROM v.old_previous
         RETURNING s.id`,
        [
          rows.map((r) => r.id),
          rows.map((r) => r.secret),
          rows.map((r) => r.previous_secret),
          rows.map((r) => this.cipher.reencrypt(r.secret, r.id)),
          rows.map((r) => (r.previous_secret === null ? null : this.cipher.reencrypt(r.previous_secret, r.id))),
        ],
      );
      changed += updated.length;
    }
  }

  /**
   * Refuses to start when stored secrets are encrypted under a key that is not configured: their deliveries
   * could not be signed. Put the key back (as an older one) and re-encrypt before removing it.
   */
  private async assertKeysKnown(): Promise<void> {
    const rows: { key_id: string; subscriptions: number }[] = await this.dataSource.query(
      `SELECT split_part(v.value, ':', 3) AS key_id, count(DISTINCT s.id)::int AS subscriptions
       FROM webhook_subscriptions s CROSS JOIN LATERAL (VALUES (s.secret), (s.previous_secret)) AS v(value)
       WHERE starts_with(v.value, $1) GROUP BY 1`,
      [ENCRYPTED_SECRET_PREFIX],
    );
    const unknown = rows.filter((r) => !this.cipher.knows(r.key_id));
    if (unknown.length) {
      throw new Error(
        `Subscription secrets are encrypted under keys that are not configured: ${unknown
          .map((r) => `'${r.key_id}' (${r.subscriptions} subscriptions)`)
          .join(', ')}. Add them to WEBHOOKS_ENCRYPTION_KEYS after the newest key.`,
      );
    }
  }
}
