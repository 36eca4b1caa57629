import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A delivery reopened by hand (resend, replay) gets a fresh attempt budget: the cap counts from the attempt
 * count it had then.
 */
export class DeliveryAttemptBase1763970000000 implements MigrationInterface {
  name = 'DeliveryAttemptBase1763970000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_deliveries ADD COLUMN attempt_base int NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_deliveries DROP COLUMN attempt_base`);
  }
}
