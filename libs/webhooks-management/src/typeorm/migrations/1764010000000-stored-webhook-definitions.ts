import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Groups and definitions created through the API (LINGYUN's WebhookGroupDefinitionRecord and
 * WebhookDefinitionRecord). A definition's group may come from code or file, so it has no foreign key.
 * `webhook_definition_changes` holds one counter that every write moves, in the same statement.
 */
export class StoredWebhookDefinitions1764010000000 implements MigrationInterface {
  name = 'StoredWebhookDefinitions1764010000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_definition_groups (
        name varchar(128) PRIMARY KEY,
        display_name varchar(256) NOT NULL,
        creation_time timestamptz NOT NULL DEFAULT now(),
        last_modification_time timestamptz NULL
      )`);
    await q.query(`
      CREATE TABLE webhook_definitions (
        name varchar(128) PRIMARY KEY,
        group_name varchar(128) NOT NULL,
        display_name varchar(256) NOT NULL,
        description varchar(1024) NULL,
        required_features text[] NOT NULL DEFAULT '{}',
        is_available boolean NOT NULL DEFAULT true,
        creation_time timestamptz NOT NULL DEFAULT now(),
        last_modification_time timestamptz NULL
      )`);
    await q.query(`CREATE INDEX ix_webhook_definitions_group ON webhook_definitions (group_name)`);
    await q.query(`
      CREATE TABLE webhook_definition_changes (
        id int PRIMARY KEY CHECK (id = 1),
        version bigint NOT NULL
      )`);
    await q.query(`INSERT INTO webhook_definition_changes (id, version) VALUES (1, 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_definition_changes`);
    await q.query(`DROP TABLE webhook_definitions`);
    await q.query(`DROP TABLE webhook_definition_groups`);
  }
}
