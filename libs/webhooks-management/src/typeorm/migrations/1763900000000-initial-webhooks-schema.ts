import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The webhooks schema. Indexes serve the hot path: matching, sending, sweeping and listing attempts. */
export class InitialWebhooksSchema1763900000000 implements MigrationInterface {
  name = 'InitialWebhooksSchema1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_subscriptions (
        id uuid PRIMARY KEY,
        tenant_id varchar(64) NULL,
        webhook_uri varchar(2048) NOT NULL,
        secret varchar(256) NOT NULL,
        webhooks text[] NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}',
        is_active boolean NOT NULL DEFAULT true,
        timeout_duration int NULL,
        max_send_attempt_count int NULL,
        description varchar(1024) NULL,
        consecutive_failure_count int NOT NULL DEFAULT 0,
        deactivated_at timestamptz NULL,
        deactivation_reason text NULL,
        creation_time timestamptz NOT NULL DEFAULT now(),
        concurrency_stamp varchar(40) NOT NULL
      )`);
    // Matching: the active subscriptions of one tenant (btree, NULL = host), then the names (GIN) as a filter.
    await q.query(`CREATE INDEX ix_webhook_subscriptions_active_tenant ON webhook_subscriptions (tenant_id) WHERE is_active`);
    await q.query(
      `CREATE INDEX ix_webhook_subscriptions_active_webhooks ON webhook_subscriptions USING gin (webhooks) WHERE is_active`,
    );
    await q.query(`CREATE INDEX ix_webhook_subscriptions_tenant_creation ON webhook_subscriptions (tenant_id, creation_time)`);

    await q.query(`
      CREATE TABLE webhook_events (
        id uuid PRIMARY KEY,
        tenant_id varchar(64) NULL,
        webhook_name varchar(128) NOT NULL,
        data text NOT NULL,
        send_exact_same_data boolean NOT NULL DEFAULT false,
        headers jsonb NULL,
        use_only_given_headers boolean NOT NULL DEFAULT false,
        creation_time timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_webhook_events_tenant_creation ON webhook_events (tenant_id, creation_time)`);

    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY,
        webhook_event_id uuid NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
        webhook_subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
        tenant_id varchar(64) NULL,
        state varchar(16) NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed', 'abandoned')),
        attempt_count int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NULL,
        last_attempt_at timestamptz NULL,
        creation_time timestamptz NOT NULL DEFAULT now()
      )`);
    // The sweeper's lookup, and stopping a deactivated subscription's deliveries.
    await q.query(
      `CREATE INDEX ix_webhook_deliveries_pending_due ON webhook_deliveries (next_attempt_at, id) WHERE state = 'pending'`,
    );
    await q.query(
      `CREATE INDEX ix_webhook_deliveries_pending_subscription ON webhook_deliveries (webhook_subscription_id) WHERE state = 'pending'`,
    );
    await q.query(`CREATE INDEX ix_webhook_deliveries_event ON webhook_deliveries (webhook_event_id)`);
    await q.query(`CREATE INDEX ix_webhook_deliveries_subscription ON webhook_deliveries (webhook_subscription_id)`);

    await q.query(`
      CREATE TABLE webhook_send_attempts (
        id uuid PRIMARY KEY,
        delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        webhook_event_id uuid NOT NULL,
        webhook_subscription_id uuid NOT NULL,
        tenant_id varchar(64) NULL,
        attempt_number int NOT NULL,
        succeeded boolean NOT NULL,
        response_status_code int NULL,
        response text NULL,
        request_headers jsonb NOT NULL,
        response_headers jsonb NULL,
        duration_ms int NOT NULL,
        error text NULL,
        creation_time timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_webhook_send_attempts_delivery ON webhook_send_attempts (delivery_id)`);
    await q.query(`CREATE INDEX ix_webhook_send_attempts_event ON webhook_send_attempts (webhook_event_id)`);
    await q.query(
      `CREATE INDEX ix_webhook_send_attempts_subscription_creation ON webhook_send_attempts (webhook_subscription_id, creation_time DESC)`,
    );
    await q.query(
      `CREATE INDEX ix_webhook_send_attempts_tenant_creation ON webhook_send_attempts (tenant_id, creation_time DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_send_attempts`);
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhook_events`);
    await q.query(`DROP TABLE webhook_subscriptions`);
  }
}
