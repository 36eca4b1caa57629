import { WebhookValidationError } from '../errors';

/**
 * A subscription's filter on the `data` of the events it receives; an event that does not pass is not
 * delivered to that subscription. A filter is a JSON object whose entries must all hold:
 *
 * - `"path": value` — the value at the dotted path (`customer.country`, `items.0.sku`) equals `value` (JSON
 *   equality: objects by their entries, arrays in order);
 * - `"path": { "$op": operand, … }` — every operator holds: `$eq`, `$in` (equals one of a list), `$exists`
 *   (true: the path is present, null included; false: absent), `$gt`, `$gte`, `$lt`, `$lte` (numbers with
 *   numbers, strings with strings; anything else does not match);
 * - `"path": { "field": …, … }` — an object of fields is a filter on the object at that path;
 * - `"$and": [filter, …]`, `"$or": [filter, …]`, `"$not": filter`.
 *
 * A number in a filter lies within ±(2^53 - 1): a larger one is held as the nearest double, which stands for
 * several integers, so no comparison with it would be exact. Within that range every comparison with an integer
 * of the data is exact, however large: a number beyond it in the data read from JSON is held as a double of at
 * least 2^53, which sorts the same way, and a bigint an application publishes is compared as a bigint.
 */
export type PayloadFilter = Record<string, unknown>;

/** Whether an event's data passes a filter. */
export type PayloadPredicate = (data: unknown) => boolean;

export const PAYLOAD_FILTER_LIMITS = {
  /** Characters of the filter's JSON. */
  jsonLength: 4096,
  /** Nesting of filters and operator objects. */
  depth: 8,
  /** Values of one `$in`, filters of one `$and` or `$or`. */
  listLength: 100,
  /** Characters of one dotted path. */
  pathLength: 256,
} as const;

/** Whether the order of a found value against the operand (negative: below, 0: equal, positive: above) holds. */
const COMPARISONS = {
  $gt: (order: number) => order > 0,
  $gte: (order: number) => order >= 0,
  $lt: (order: number) => order < 0,
  $lte: (order: number) => order <= 0,
} as const;
const FIELD_OPERATORS = new Set(['$eq', '$in', '$exists', ...Object.keys(COMPARISONS)]);

/**
 * Checks a filter, naming the offending part in the error (`filter.$or[1].total.$gt`), and turns it into a
 * predicate. Pure: compile once and keep the predicate.
 */
export function compilePayloadFilter(filter: unknown, field = 'filter'): PayloadPredicate {
  const json = JSON.stringify(filter);
  if (json !== undefined && json.length > PAYLOAD_FILTER_LIMITS.jsonLength) {
    throw new WebhookValidationError(field, `must be at most ${PAYLOAD_FILTER_LIMITS.jsonLength} characters of JSON`);
  }
  const predicate = compileFilter(filter, field, 0);
  assertExactNumbers(filter, field);
  return predicate;
}

/** Refuses a number beyond ±(2^53 - 1) anywhere in a filter (they only stand as operands), naming its place. */
function assertExactNumbers(value: unknown, at: string): void {
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    throw new WebhookValidationError(
      at,
      `is beyond ±${Number.MAX_SAFE_INTEGER} (2^53 - 1), so it cannot be compared exactly: publish such values as strings and filter on the strings`,
    );
  }
  if (Array.isArray(value)) value.forEach((v, i) => assertExactNumbers(v, `${at}[${i}]`));
  else if (isPlainObject(value)) for (const [key, v] of Object.entries(value)) assertExactNumbers(v, `${at}.${key}`);
}

function compileFilter(filter: unknown, at: string, depth: number): PayloadPredicate {
  if (!isPlainObject(filter)) throw new WebhookValidationError(at, 'must be an object of fields and operators');
  if (depth > PAYLOAD_FILTER_LIMITS.depth) {
    throw new WebhookValidationError(at, `nests deeper than ${PAYLOAD_FILTER_LIMITS.depth} levels`);
  }
  const parts = Object.entries(filter).map(([key, value]) => {
    const where = `${at}.${key}`;
    if (key === '$not') {
      const inner = compileFilter(value, where, depth + 1);
      return (data: unknown) => !inner(data);
    }
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0 || value.length > PAYLOAD_FILTER_LIMITS.listLength) {
        throw new WebhookValidationError(where, `must be a list of 1-${PAYLOAD_FILTER_LIMITS.listLength} filters`);
      }
      const inner = value.map((f, i) => compileFilter(f, `${where}[${i}]`, depth + 1));
      return key === '$and' ? (data: unknown) => inner.every((p) => p(data)) : (data: unknown) => inner.some((p) => p(data));
    }
    if (key.startsWith('$')) {
      const hint = FIELD_OPERATORS.has(key) ? ': it applies to a field, as in { "path": { "' + key + '": … } }' : '';
      throw new WebhookValidationError(where, `is not a filter operator (use $and, $or, $not or a field path)${hint}`);
    }
    const read = pathReader(key, where);
    const condition = compileCondition(value, where, depth + 1);
    return (data: unknown) => condition(read(data));
  });
  return (data) => parts.every((p) => p(data));
}

/** What the value at a path must satisfy: equality, an operator object, or a nested filter. */
function compileCondition(value: unknown, at: string, depth: number): (found: unknown) => boolean {
  if (!isPlainObject(value)) {
    assertJsonValue(value, at);
    return (found) => jsonEqual(found, value);
  }
  const keys = Object.keys(value);
  if (keys.length === 0) throw new WebhookValidationError(at, 'is empty: use { "$exists": true } or { "$eq": {} }');
  // An object naming a field operator is an operator object; any other object is a filter on the value.
  if (!keys.some((k) => FIELD_OPERATORS.has(k))) return compileFilter(value, at, depth);
  const field = keys.find((k) => !FIELD_OPERATORS.has(k));
  if (field !== undefined) {
    throw new WebhookValidationError(
      `${at}.${field}`,
      'cannot stand beside field operators: use $eq, $in, $exists, $gt, $gte, $lt or $lte here',
    );
  }
  const checks = keys.map((op) => compileOperator(op, value[op], `${at}.${op}`));
  return (found) => checks.every((check) => check(found));
}

function compileOperator(op: string, operand: unknown, at: string): (found: unknown) => boolean {
  switch (op) {
    case '$eq':
      assertJsonValue(operand, at);
      return (found) => jsonEqual(found, operand);
    case '$in': {
      if (!Array.isArray(operand) || operand.length === 0 || operand.length > PAYLOAD_FILTER_LIMITS.listLength) {
        throw new WebhookValidationError(at, `must be a list of 1-${PAYLOAD_FILTER_LIMITS.listLength} values`);
      }
      operand.forEach((v, i) => assertJsonValue(v, `${at}[${i}]`));
      return (found) => found !== undefined && operand.some((v) => jsonEqual(found, v));
    }
    case '$exists':
      if (typeof operand !== 'boolean') throw new WebhookValidationError(at, 'must be true or false');
      return (found) => (found !== undefined) === operand;
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      if (typeof operand !== 'string' && !(typeof operand === 'number' && Number.isFinite(operand))) {
        throw new WebhookValidationError(at, 'must be a number or a string');
      }
      const holds = COMPARISONS[op];
      if (typeof operand === 'string') return (found) => typeof found === 'string' && holds(order(found, operand));
      return (found) =>
        typeof found === 'number'
          ? holds(order(found, operand))
          : typeof found === 'bigint' && holds(bigintOrder(found, operand));
    }
    default:
      throw new WebhookValidationError(at, 'is not a field operator');
  }
}

/** Reads a dotted path: object keys (own properties only) and, in arrays, indexes. */
function pathReader(path: string, at: string): (data: unknown) => unknown {
  const segments = path.split('.');
  if (path.length > PAYLOAD_FILTER_LIMITS.pathLength || segments.some((s) => s === '')) {
    throw new WebhookValidationError(at, `is not a dotted path of at most ${PAYLOAD_FILTER_LIMITS.pathLength} characters`);
  }
  return (data) => {
    let current = data;
    for (const segment of segments) {
      if (Array.isArray(current)) current = /^(0|[1-9]\d*)$/.test(segment) ? current[Number(segment)] : undefined;
      else if (isPlainObject(current) && Object.hasOwn(current, segment)) current = current[segment];
      else return undefined;
    }
    return current;
  };
}

function assertJsonValue(value: unknown, at: string): void {
  if (value === undefined || typeof value === 'function' || (typeof value === 'number' && !Number.isFinite(value))) {
    throw new WebhookValidationError(at, 'must be a JSON value');
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const order = <T extends string | number>(a: T, b: T) => (a < b ? -1 : a > b ? 1 : 0);

/** The order of a bigint of the data against a filter's number (a double within ±(2^53 - 1)), exactly. */
function bigintOrder(found: bigint, operand: number): number {
  const floor = BigInt(Math.floor(operand));
  // Against a fraction, an integer is above exactly when it is above the fraction's floor.
  if (!Number.isInteger(operand)) return found > floor ? 1 : -1;
  return found < floor ? -1 : found > floor ? 1 : 0;
}

/** Equality of JSON values: objects by their entries in any order, arrays in order; a bigint equals its number. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    // Loose equality compares a bigint with a number by value (7n == 7, 7n != 7.5).
    return (typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number') && a == b;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((v, i) => jsonEqual(v, other[i]));
  }
  const aKeys = Object.keys(a);
  const bObject = b as Record<string, unknown>;
  return (
    aKeys.length === Object.keys(bObject).length &&
    aKeys.every((k) => Object.hasOwn(bObject, k) && jsonEqual((a as Record<string, unknown>)[k], bObject[k]))
  );
}

/**
 * Predicates of the filters subscriptions hold, by the filter's JSON text, so a filter is compiled once however
 * many events it sees. Bounded: when full it starts again (recompiling is cheap; the bound keeps memory flat).
 */
export class PayloadFilterCache {
  private readonly predicates = new Map<string, PayloadPredicate>();

  constructor(private readonly maxEntries = 10_000) {}

  /** The predicate of a stored filter (its JSON text). */
  get(filterJson: string): PayloadPredicate {
    let predicate = this.predicates.get(filterJson);
    if (!predicate) {
      if (this.predicates.size >= this.maxEntries) this.predicates.clear();
      // Checked when it was stored; compiled without the number check, so publishing never refuses a stored filter.
      predicate = compileFilter(JSON.parse(filterJson), 'filter', 0);
      this.predicates.set(filterJson, predicate);
    }
    return predicate;
  }
}
