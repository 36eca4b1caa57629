import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which days of the delivery history have had their attempts' response bodies and headers erased (a shorter
 * retention for them), so each day is rewritten once. A day's row goes with its partitions.
 */
export class HistoryResponseRetention1765710000001 implements MigrationInterface {
  name = 'HistoryResponseRetention1765710000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_history_days (
        partition_suffix varchar(32) PRIMARY KEY,
        responses_erased_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_history_days`);
  }
}
