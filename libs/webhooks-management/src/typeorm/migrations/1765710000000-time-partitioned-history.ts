import { MigrationInterface, QueryRunner } from 'typeorm';
import { HISTORY_PARTITIONS_LOCK_KEY, createHistoryDaysUntil } from '../history-partitions';

/** Days of partitions made ahead by the migration itself; the running service keeps making them ahead. */
const DAYS_AHEAD = 7;

/** The history's indexes besides the primary keys, as they were and as the partitioned tables have them. */
const HISTORY_INDEXES = [
  `ix_webhook_events_tenant_creation ON webhook_events (tenant_id, creation_time)`,
  `ix_webhook_deliveries_pending_due ON webhook_deliveries (next_attempt_at, id) WHERE state = 'pending'`,
  `ix_webhook_deliveries_pending_subscription ON webhook_deliveries (webhook_subscription_id) WHERE state = 'pending'`,
  `ix_webhook_deliveries_event ON webhook_deliveries (webhook_event_id)`,
  `ix_webhook_deliveries_subscription ON webhook_deliveries (webhook_subscription_id)`,
  `ix_webhook_deliveries_tenant_creation ON webhook_deliveries (tenant_id, creation_time)`,
  `ix_webhook_send_attempts_delivery ON webhook_send_attempts (delivery_id)`,
  `ix_webhook_send_attempts_event ON webhook_send_attempts (webhook_event_id)`,
  `ix_webhook_send_attempts_subscription_creation ON webhook_send_attempts (webhook_subscription_id, creation_time DESC)`,
  `ix_webhook_send_attempts_tenant_creation ON webhook_send_attempts (tenant_id, creation_time DESC)`,
];

/**
 * The delivery history becomes partitioned by the event's creation time (see history-partitions.ts).
 * Existing rows are not copied: each table becomes the `_legacy` partition of its new parent in place
 * (deliveries and attempts gain the event's creation time, their primary keys gain the partition key, the
 * foreign keys join the legacy partitions), and its indexes become the parent's partitions of them.
 */
export class TimePartitionedHistory1765710000000 implements MigrationInterface {
  name = 'TimePartitionedHistory1765710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`SELECT pg_advisory_xact_lock($1)`, [HISTORY_PARTITIONS_LOCK_KEY]);
    for (const table of ['webhook_events', 'webhook_deliveries', 'webhook_send_attempts']) {
      await q.query(`ALTER TABLE ${table} RENAME TO ${table}_legacy`);
      // Frees the index names for the parent's indexes; attaching the partition adopts these indexes.
      const indexes: { name: string }[] = await q.query(
        `SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1`,
        [`${table}_legacy`],
      );
      for (const { name } of indexes) {
        if (name !== `${table}_pkey`) await q.query(`ALTER INDEX ${name} RENAME TO ${name}_legacy`);
      }
    }
    await q.query(`ALTER TABLE webhook_send_attempts_legacy DROP CONSTRAINT webhook_send_attempts_delivery_id_fkey`);
    await q.query(`ALTER TABLE webhook_deliveries_legacy DROP CONSTRAINT webhook_deliveries_webhook_event_id_fkey`);

    await q.query(`ALTER TABLE webhook_deliveries_legacy ADD COLUMN event_creation_time timestamptz`);
    await q.query(`
      UPDATE webhook_deliveries_legacy d SET event_creation_time = e.creation_time
      FROM webhook_events_legacy e WHERE e.id = d.webhook_event_id`);
    await q.query(`ALTER TABLE webhook_send_attempts_legacy ADD COLUMN event_creation_time timestamptz`);
    await q.query(`
      UPDATE webhook_send_attempts_legacy a SET event_creation_time = d.event_creation_time
      FROM webhook_deliveries_legacy d WHERE d.id = a.delivery_id`);
    for (const table of ['webhook_deliveries_legacy', 'webhook_send_attempts_legacy']) {
      await q.query(`ALTER TABLE ${table} ALTER COLUMN event_creation_time SET NOT NULL`);
    }

    await q.query(`
      ALTER TABLE webhook_events_legacy DROP CONSTRAINT webhook_events_pkey,
        ADD CONSTRAINT webhook_events_legacy_pkey PRIMARY KEY (id, creation_time)`);
    await q.query(`
      ALTER TABLE webhook_deliveries_legacy DROP CONSTRAINT webhook_deliveries_pkey,
        ADD CONSTRAINT webhook_deliveries_legacy_pkey PRIMARY KEY (id, event_creation_time),
        ADD CONSTRAINT webhook_deliveries_legacy_event_fkey FOREIGN KEY (webhook_event_id, event_creation_time)
          REFERENCES webhook_events_legacy (id, creation_time) ON DELETE CASCADE`);
    await q.query(`
      ALTER TABLE webhook_send_attempts_legacy DROP CONSTRAINT webhook_send_attempts_pkey,
        ADD CONSTRAINT webhook_send_attempts_legacy_pkey PRIMARY KEY (id, event_creation_time),
        ADD CONSTRAINT webhook_send_attempts_legacy_delivery_fkey FOREIGN KEY (delivery_id, event_creation_time)
          REFERENCES webhook_deliveries_legacy (id, event_creation_time) ON DELETE CASCADE`);

    // The same columns, defaults and checks as before, so the old tables can be attached as they are.
    await q.query(`
      CREATE TABLE webhook_events (LIKE webhook_events_legacy INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
        PRIMARY KEY (id, creation_time)) PARTITION BY RANGE (creation_time)`);
    for (const table of ['webhook_deliveries', 'webhook_send_attempts']) {
      await q.query(`
        CREATE TABLE ${table} (LIKE ${table}_legacy INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
          PRIMARY KEY (id, event_creation_time)) PARTITION BY RANGE (event_creation_time)`);
    }
    for (const index of HISTORY_INDEXES) await q.query(`CREATE INDEX ${index}`);

    // The legacy partitions end with the day of the newest event, or today when there is none.
    const [{ end }]: { end: Date }[] = await q.query(`
      SELECT coalesce(date_trunc('day', max(creation_time), 'UTC') + interval '1 day', date_trunc('day', now(), 'UTC')) AS end
      FROM webhook_events_legacy`);
    for (const table of ['webhook_events', 'webhook_deliveries', 'webhook_send_attempts']) {
      await q.query(
        `ALTER TABLE ${table} ATTACH PARTITION ${table}_legacy FOR VALUES FROM (MINVALUE) TO ('${end.toISOString()}')`,
      );
    }
    const now = new Date();
    await createHistoryDaysUntil(q, now, new Date(now.getTime() + DAYS_AHEAD * 86_400_000));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['webhook_send_attempts', 'webhook_deliveries', 'webhook_events']) {
      await q.query(`ALTER TABLE ${table} RENAME TO ${table}_partitioned`);
      await q.query(`CREATE TABLE ${table} (LIKE ${table}_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
    }
    for (const table of ['webhook_events', 'webhook_deliveries', 'webhook_send_attempts']) {
      await q.query(`INSERT INTO ${table} SELECT * FROM ${table}_partitioned`);
    }
    for (const table of ['webhook_send_attempts', 'webhook_deliveries', 'webhook_events']) {
      await q.query(`DROP TABLE ${table}_partitioned CASCADE`);
    }
    await q.query(`ALTER TABLE webhook_events ADD PRIMARY KEY (id)`);
    await q.query(`
      ALTER TABLE webhook_deliveries DROP COLUMN event_creation_time, ADD PRIMARY KEY (id),
        ADD CONSTRAINT webhook_deliveries_webhook_event_id_fkey FOREIGN KEY (webhook_event_id)
          REFERENCES webhook_events (id) ON DELETE CASCADE`);
    await q.query(`
      ALTER TABLE webhook_send_attempts DROP COLUMN event_creation_time, ADD PRIMARY KEY (id),
        ADD CONSTRAINT webhook_send_attempts_delivery_id_fkey FOREIGN KEY (delivery_id)
          REFERENCES webhook_deliveries (id) ON DELETE CASCADE`);
    for (const index of HISTORY_INDEXES) await q.query(`CREATE INDEX ${index}`);
  }
}
