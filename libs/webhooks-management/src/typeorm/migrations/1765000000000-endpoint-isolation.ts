import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Endpoint isolation: a subscription may set its own concurrency and rate limit; deliveries no longer name a
 * queue job (the scheduler in Redis tracks them by their own id).
 */
export class EndpointIsolation1765000000000 implements MigrationInterface {
  name = 'EndpointIsolation1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE webhook_subscriptions ADD COLUMN max_concurrent_sends int, ADD COLUMN rate_limit_per_second double precision`,
    );
    await q.query(`ALTER TABLE webhook_deliveries DROP COLUMN queue_job_id`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_deliveries ADD COLUMN queue_job_id uuid`);
    await q.query(`ALTER TABLE webhook_subscriptions DROP COLUMN max_concurrent_sends, DROP COLUMN rate_limit_per_second`);
  }
}
