import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  StoredWebhookDefinition,
  StoredWebhookDefinitions,
  StoredWebhookGroup,
  WebhookDefinitionStore,
} from '@hookline/webhooks-core';

/** Everything in one statement, so groups, definitions and the counter come from one snapshot. */
const LOAD_SQL = `
  SELECT (SELECT version::text FROM webhook_definition_changes WHERE id = 1) AS version,
    coalesce((SELECT json_agg(json_build_object('name', name, 'displayName', display_name) ORDER BY creation_time, name)
              FROM webhook_definition_groups), '[]') AS groups,
    coalesce((SELECT json_agg(json_build_object('name', name, 'groupName', group_name, 'displayName', display_name,
                'description', description, 'requiredFeatures', required_features, 'isAvailable', is_available,
                'schema', schema, 'schemaVersion', schema_version, 'example', example)
                ORDER BY creation_time, name)
              FROM webhook_definitions), '[]') AS definitions`;

/** The columns of a definition in the order of the INSERT and UPDATE; the documents as JSON text. */
const definitionParams = (d: StoredWebhookDefinition) => [
  d.name,
  d.groupName,
  d.displayName,
  d.description,
  d.requiredFeatures,
  d.isAvailable,
  d.schema === null ? null : JSON.stringify(d.schema),
  d.schemaVersion,
  d.example === null ? null : JSON.stringify(d.example),
];

/** Most names an answer lists of what stands in the way of a delete. */
const MAX_LISTED = 100;

/**
 * Wraps a write (`… RETURNING 1`) so the change counter moves in the same statement when a row changed.
 * `extra` adds output columns computed on the statement's snapshot (before the write).
 */
const countingChange = (write: string, extra = '', ctes = '') => `
  WITH ${ctes} changed AS (${write} RETURNING 1),
  bump AS (UPDATE webhook_definition_changes SET version = version + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM changed))
  SELECT (SELECT count(*) FROM changed)::int AS changed ${extra}`;

@Injectable()
export class TypeOrmWebhookDefinitionStore extends WebhookDefinitionStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async getVersion(): Promise<string> {
    const [row] = await this.dataSource.query(`SELECT version::text AS version FROM webhook_definition_changes WHERE id = 1`);
    return row.version;
  }

  async load(): Promise<StoredWebhookDefinitions> {
    const [row] = await this.dataSource.query(LOAD_SQL);
    return row;
  }

  async insertGroup(g: StoredWebhookGroup): Promise<boolean> {
    return this.change(`INSERT INTO webhook_definition_groups (name, display_name) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
      g.name,
      g.displayName,
    ]);
  }

  async updateGroup(g: StoredWebhookGroup): Promise<boolean> {
    return this.change(`UPDATE webhook_definition_groups SET display_name = $2, last_modification_time = now() WHERE name = $1`, [
      g.name,
      g.displayName,
    ]);
  }

  async deleteGroup(name: string): Promise<{ found: boolean; definitionNames: string[] }> {
    const [row] = await this.dataSource.query(
      countingChange(
        `DELETE FROM webhook_definition_groups WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM members)`,
        `, EXISTS (SELECT 1 FROM webhook_definition_groups WHERE name = $1) AS found, ARRAY(SELECT name FROM members) AS members`,
        `members AS (SELECT name FROM webhook_definitions WHERE group_name = $1 ORDER BY name LIMIT ${MAX_LISTED}),`,
      ),
      [name],
    );
    return { found: row.found, definitionNames: row.members };
  }

  async insertDefinition(d: StoredWebhookDefinition): Promise<boolean> {
    return this.change(
      `INSERT INTO webhook_definitions (name, group_name, display_name, description, required_features, is_available,
         schema, schema_version, example)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
      definitionParams(d),
    );
  }

  async updateDefinition(d: StoredWebhookDefinition): Promise<boolean> {
    return this.change(
      `UPDATE webhook_definitions SET group_name = $2, display_name = $3, description = $4, required_features = $5,
         is_available = $6, schema = $7, schema_version = $8, example = $9, last_modification_time = now()
       WHERE name = $1`,
      definitionParams(d),
    );
  }

  async deleteDefinition(name: string): Promise<{ found: boolean; subscriptionIds: string[] }> {
    // Subscriptions of every tenant: an exact name in `webhooks` (wildcards do not hold a definition).
    const [row] = await this.dataSource.query(
      countingChange(
        `DELETE FROM webhook_definitions WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM users)`,
        `, EXISTS (SELECT 1 FROM webhook_definitions WHERE name = $1) AS found, ARRAY(SELECT id FROM users) AS users`,
        `users AS (SELECT id FROM webhook_subscriptions WHERE webhooks @> ARRAY[$1::text]
                   ORDER BY creation_time, id LIMIT ${MAX_LISTED}),`,
      ),
      [name],
    );
    return { found: row.found, subscriptionIds: row.users };
  }

  private async change(write: string, params: unknown[]): Promise<boolean> {
    const [row] = await this.dataSource.query(countingChange(write), params);
    return row.changed > 0;
  }
}
