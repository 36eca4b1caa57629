import { randomFillSync } from 'node:crypto';

/** Random bytes drawn for 256 ids at a time, as crypto.randomUUID does, rather than one draw per id. */
const RANDOM_POOL = Buffer.alloc(16 * 256);
let poolOffset = RANDOM_POOL.length;

/**
 * A UUIDv7 (RFC 9562) carrying the given time to the millisecond. Events, their deliveries and their send
 * attempts get ids made from the event's creation time, which is the key their history is partitioned by: a
 * lookup by id alone can name the one partition that holds the row (see timeOfTimeOrderedId).
 */
export function timeOrderedId(at: Date): string {
  const ms = at.getTime();
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= 2 ** 48) throw new RangeError(`no UUIDv7 holds the time ${ms}`);
  if (poolOffset === RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    poolOffset = 0;
  }
  const bytes = Buffer.from(RANDOM_POOL.subarray(poolOffset, (poolOffset += 16)));
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The time a UUIDv7 carries; null for any other id (a random UUIDv4, or not a UUID). */
export function timeOfTimeOrderedId(id: string): Date | null {
  if (!UUID_V7.test(id)) return null;
  return new Date(parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
}
