import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A stored definition may carry a JSON Schema of its events' data, its version and an example. `json`, not
 * `jsonb`: the documents come back as they were written (key order, number spelling).
 */
export class DefinitionDataSchemas1765300000000 implements MigrationInterface {
  name = 'DefinitionDataSchemas1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE webhook_definitions
        ADD COLUMN schema json NULL,
        ADD COLUMN schema_version int NULL,
        ADD COLUMN example json NULL,
        ADD CONSTRAINT ck_webhook_definitions_schema_version CHECK ((schema IS NULL) = (schema_version IS NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE webhook_definitions
        DROP CONSTRAINT ck_webhook_definitions_schema_version,
        DROP COLUMN example, DROP COLUMN schema_version, DROP COLUMN schema`);
  }
}
