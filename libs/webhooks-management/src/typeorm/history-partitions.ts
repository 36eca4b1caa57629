import type { EntityManager, QueryRunner } from 'typeorm';
import { timeOfTimeOrderedId } from '@hookline/webhooks-core';

/**
 * The delivery history (events, deliveries, send attempts) is partitioned by range of the event's creation
 * time, one partition per UTC day and table: an event, its deliveries and all their attempts share a day, so
 * a day is dropped as a whole (attempts, then deliveries, then events) without scanning anything. Each
 * day's foreign keys join that day's partitions only. Rows from before partitioning stay in one `_legacy`
 * partition per table, reaching up to the day after the newest of them.
 */
export const HISTORY_TABLES = [
  { table: 'webhook_events', key: 'creation_time', references: null },
  {
    table: 'webhook_deliveries',
    key: 'event_creation_time',
    references: {
      name: 'event',
      columns: 'webhook_event_id, event_creation_time',
      parent: 'webhook_events',
      key: 'id, creation_time',
    },
  },
  {
    table: 'webhook_send_attempts',
    key: 'event_creation_time',
    references: {
      name: 'delivery',
      columns: 'delivery_id, event_creation_time',
      parent: 'webhook_deliveries',
      key: 'id, event_creation_time',
    },
  },
] as const;

/** Arbitrary constant: the advisory lock under which partitions are created and dropped, one process at a time. */
export const HISTORY_PARTITIONS_LOCK_KEY = 727_210_016;

const DAY_MS = 86_400_000;

/** The suffix of the partitions holding the rows from before partitioning. */
export const LEGACY_SUFFIX = '_legacy';

/** Midnight UTC of the day `at` falls in. */
export const startOfUtcDay = (at: Date): Date => new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);

/** The suffix of a day's partitions: `_p20261205`. */
export const dayPartitionSuffix = (day: Date): string => `_p${day.toISOString().slice(0, 10).replaceAll('-', '')}`;

type Queryable = Pick<QueryRunner | EntityManager, 'query'>;

/**
 * Creates the three partitions of one range, each with its foreign key to the same range's partition of
 * the table it references. `from` null: from the lowest value.
 */
export async function createHistoryPartitions(q: Queryable, suffix: string, from: Date | null, to: Date): Promise<void> {
  const bounds = `FOR VALUES FROM (${from ? `'${from.toISOString()}'` : 'MINVALUE'}) TO ('${to.toISOString()}')`;
  for (const { table, references: r } of HISTORY_TABLES) {
    const foreignKey = r
      ? `(CONSTRAINT ${table}${suffix}_${r.name}_fkey FOREIGN KEY (${r.columns})
           REFERENCES ${r.parent}${suffix} (${r.key}) ON DELETE CASCADE)`
      : '';
    await q.query(`CREATE TABLE IF NOT EXISTS ${table}${suffix} PARTITION OF ${table} ${foreignKey} ${bounds}`);
  }
}

/** A partition of webhook_events: its name's suffix (shared by its day's other partitions) and its range's end. */
export interface HistoryPartition {
  suffix: string;
  until: Date;
}

/** The partitions of the history, oldest first. */
export async function listHistoryPartitions(q: Queryable): Promise<HistoryPartition[]> {
  const rows: { name: string; until: Date }[] = await q.query(`
    SELECT c.relname AS name,
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz AS until
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'webhook_events'::regclass
    ORDER BY until`);
  return rows.map((r) => ({ suffix: r.name.slice('webhook_events'.length), until: r.until }));
}

/**
 * Creates the day partitions missing from today to the day of `until`, included (a day before the legacy
 * partitions' end is theirs). Call it inside a transaction holding HISTORY_PARTITIONS_LOCK_KEY, so processes
 * starting together take turns. Returns the suffixes it created.
 */
export async function createHistoryDaysUntil(q: Queryable, now: Date, until: Date): Promise<string[]> {
  const partitions = await listHistoryPartitions(q);
  const existing = new Set(partitions.map((p) => p.suffix));
  const legacyEnd = partitions.find((p) => p.suffix === LEGACY_SUFFIX)?.until ?? null;
  const created: string[] = [];
  for (let day = startOfUtcDay(now); day <= until; day = new Date(day.getTime() + DAY_MS)) {
    const suffix = dayPartitionSuffix(day);
    if (existing.has(suffix) || (legacyEnd && day < legacyEnd)) continue;
    await createHistoryPartitions(q, suffix, day, new Date(day.getTime() + DAY_MS));
    created.push(suffix);
  }
  return created;
}

/**
 * The partition key values of the events or deliveries with these ids, for a lookup by id to read only their
 * partitions: the event's creation time, which their UUIDv7 ids carry. Null when an id carries none (a row
 * from before partitioning): the lookup then reads every partition. Used as
 * `($2::timestamptz[] IS NULL OR d.event_creation_time = ANY($2))`, which a custom plan folds to one or the other.
 */
export function historyKeysOfIds(ids: readonly string[]): string[] | null {
  const keys: string[] = [];
  for (const id of ids) {
    const time = timeOfTimeOrderedId(id);
    if (!time) return null;
    keys.push(time.toISOString());
  }
  return keys;
}

/**
 * Keys (from historyKeysOfIds) with their first and last, as a lookup by full key takes them: the bounds let the
 * planner read only the days between (it cannot see into the array). Such a lookup joins the (id, key) pairs
 * to a `LATERAL (... LIMIT 1)` subquery, which the planner cannot merge into a join: each row is one probe of
 * its unique key, whatever the statistics say. A day's partition is not analyzed in its first minute, and
 * `id = ANY(...)` filters are then planned as a scan of the whole day, comparing every row with every id.
 */
export function keyRange(keys: readonly string[]): [readonly string[], string, string] {
  let first = keys[0];
  let last = keys[0];
  for (const key of keys) {
    if (key < first) first = key;
    if (key > last) last = key;
  }
  return [keys, first, last];
}

/**
 * The range of partition key values holding the rows with these ids (events, deliveries or attempts), for a
 * lookup by id to read only their days: an event's, a delivery's and an attempt's UUIDv7 id each carry the
 * event's creation time to the millisecond (the key itself may hold microseconds, in rows written by SQL), so
 * the range runs from the earliest to a millisecond past the latest. Null when an id carries no time (a row
 * from before partitioning): the lookup then reads every partition.
 */
export function historyRangeOfIds(ids: readonly string[]): { from: Date; to: Date } | null {
  let from = Infinity;
  let to = -Infinity;
  for (const id of ids) {
    const time = timeOfTimeOrderedId(id);
    if (!time) return null;
    from = Math.min(from, time.getTime());
    to = Math.max(to, time.getTime() + 1);
  }
  return ids.length ? { from: new Date(from), to: new Date(to) } : null;
}
