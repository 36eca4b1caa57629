import { QueryRunner } from 'typeorm';

/**
 * An index of a partitioned history table: its name, the table, and the columns (and predicate) after the table.
 */
export interface HistoryIndex {
  name: string;
  table: string;
  definition: string;
}

/**
 * Builds a partitioned index without holding up writes: the parent's index is made on the parent only, then each
 * partition's is built CONCURRENTLY (inserts go on meanwhile) and attached; once every partition has its own, the
 * parent's is valid. Partitions created meanwhile get theirs with the table. Safe to run again after an
 * interruption: a partition's index already attached is kept, one left invalid is built again.
 */
export async function createPartitionedIndex(q: QueryRunner, { name, table, definition }: HistoryIndex): Promise<void> {
  await q.query(`CREATE INDEX IF NOT EXISTS ${name} ON ONLY ${table} ${definition}`);
  const partitions: { partition: string; suffix: string }[] = await q.query(
    `SELECT c.relname AS partition, substr(c.relname, length($1::text) + 1) AS suffix
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = $1::text::regclass
       AND NOT EXISTS (SELECT 1 FROM pg_inherits ii JOIN pg_index x ON x.indexrelid = ii.inhrelid
                       WHERE ii.inhparent = $2::text::regclass AND x.indrelid = c.oid)
     ORDER BY 1`,
    [table, name],
  );
  for (const { partition, suffix } of partitions) {
    const own = `${name}${suffix}`.slice(0, 63);
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS ${own}`);
    await q.query(`CREATE INDEX CONCURRENTLY ${own} ON ${partition} ${definition}`);
    await q.query(`ALTER INDEX ${name} ATTACH PARTITION ${own}`);
  }
}

/** Builds `index` (createPartitionedIndex), then drops `old`: the old index serves until the new one is complete. */
export async function replacePartitionedIndex(q: QueryRunner, old: HistoryIndex, index: HistoryIndex): Promise<void> {
  await createPartitionedIndex(q, index);
  await q.query(`DROP INDEX IF EXISTS ${old.name}`);
}
