import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A subscription may filter the events it receives on their data. `json`, not `jsonb`: publishing reads the
 * filter's text as written and compiles each distinct text once.
 */
export class SubscriptionPayloadFilters1765310000000 implements MigrationInterface {
  name = 'SubscriptionPayloadFilters1765310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_subscriptions ADD COLUMN filter json NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_subscriptions DROP COLUMN filter`);
  }
}
