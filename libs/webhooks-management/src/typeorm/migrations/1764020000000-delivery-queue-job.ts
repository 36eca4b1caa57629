import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deliveries published together share queue jobs; each remembers the job that carries it, so the sweeper can
 * tell whether that job still exists and a job only sends what it still carries. Null: the delivery has a job
 * of its own (its id), as every delivery had before.
 */
export class DeliveryQueueJob1764020000000 implements MigrationInterface {
  name = 'DeliveryQueueJob1764020000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_deliveries ADD COLUMN queue_job_id uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_deliveries DROP COLUMN queue_job_id`);
  }
}
