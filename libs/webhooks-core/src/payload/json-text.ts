import { WebhookValidationError } from '../errors';

/**
 * How deep objects and arrays may nest in a request body or queue message, the body itself being level 1
 * (so event data, at level 2, may nest 63 levels). The delivered envelope then nests no deeper than the
 * request did, within what common receivers parse by default.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The exact text of each object or array read by parseJsonText that JSON.stringify would not give back as
 * read: one holding a number JSON.stringify writes otherwise (beyond 2^53, `-0`, `1.0`, `1E2`) or an
 * integer-like key (JavaScript moves those to the front of an object). Also, when asked (`textOf`), the text
 * of those JSON.stringify would give back as read, so writing them again is a lookup.
 */
const sourceTexts = new WeakMap<object, string>();

/** A lone (unpaired) UTF-16 surrogate: many receivers cannot decode one, and PostgreSQL refuses it in jsonb. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const hasLoneSurrogate = (text: string): boolean => LONE_SURROGATE.test(text);
/** A key JavaScript orders before the others (an array index). */
const INTEGER_KEY = /^(?:0|[1-9][0-9]{0,9})$/;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface JsonTextOptions {
  /** What the whole text is called in an error (`body`). */
  field?: string;
  maxDepth?: number;
  /**
   * A member name (`data`): the text of each object or array under a member of that name is remembered also
   * when JSON.stringify would write it back as read, character for character (no whitespace, no escape, every
   * number as JavaScript writes it), so jsonTextOf answers it without writing it again.
   */
  textOf?: string;
}

/**
 * Reads a JSON text (a request body, a queue message) without losing anything JSON.parse followed by
 * JSON.stringify would: every object and array of the result remembers its exact text (see jsonTextOf), so
 * numbers beyond 2^53, `-0`, key order and escapes reach a receiver as sent. Keys named like object members
 * (`__proto__`, `constructor`) are ordinary own properties. What could not be passed on unchanged is refused
 * with a WebhookValidationError naming the path (`data.items[2].id`): a key given twice in one object, a lone
 * surrogate, nesting deeper than `maxDepth`, bytes that are not UTF-8, and of course text that is not JSON.
 */
export function parseJsonText(input: string | Uint8Array, options: JsonTextOptions = {}): unknown {
  const field = options.field ?? 'body';
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = utf8.decode(input);
    } catch {
      throw new WebhookValidationError(field, 'is not valid UTF-8');
    }
  }
  return new JsonTextReader(text, field, options.maxDepth ?? MAX_JSON_DEPTH, options.textOf).document();
}

/** The text an object or array read by parseJsonText came from, when JSON.stringify would not give it back. */
export function jsonSourceOf(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? sourceTexts.get(value) : undefined;
}

/**
 * The JSON text of a value, the same JSON value as what parseJsonText read, or as what an application built:
 * the text a read object or array came from where JSON.stringify would change it; `-0` and bigints written
 * exactly. What JSON cannot hold (NaN, Infinity, functions, symbols, Map, Set, undefined in an array, lone
 * surrogates) or nesting beyond `maxDepth` (counted from 1 at `value`) is refused, naming the path under
 * `path`. Properties that are undefined are left out and toJSON (Date) is used, as JSON.stringify does.
 */
export function jsonTextOf(value: unknown, path: string, maxDepth = MAX_JSON_DEPTH): string {
  const source = jsonSourceOf(value);
  if (source !== undefined) return source;
  // Most values need nothing JSON.stringify does not do: check, then let the native serialiser write.
  if (!new JsonChecker(maxDepth).needsExactWriter(value)) {
    const text = JSON.stringify(value);
    if (!ESCAPED_SURROGATE.test(text)) return text;
  }
  return writeJson(value, path, 1, maxDepth);
}

/** How JSON.stringify writes a surrogate that is not part of a pair. */
const ESCAPED_SURROGATE = /\\ud[89a-f]/i;

/**
 * Walks a value to tell whether JSON.stringify would write it as it is. It stops at the first thing it
 * cannot vouch for; writeJson then finds it again, with its path, to refuse it or write it exactly.
 */
class JsonChecker {
  constructor(private readonly maxDepth: number) {}

  needsExactWriter(value: unknown, depth = 1): boolean {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return false;
      case 'number':
        return !Number.isFinite(value) || Object.is(value, -0);
      case 'object': {
        if (value === null) return false;
        if (depth > this.maxDepth || sourceTexts.has(value) || typeof (value as { toJSON?: unknown }).toJSON === 'function')
          return true;
        if (Array.isArray(value)) {
          for (const item of value) if (item === undefined || this.needsExactWriter(item, depth + 1)) return true;
          return false;
        }
        if (value instanceof Map || value instanceof Set || ArrayBuffer.isView(value)) return true;
        for (const key in value) {
          if (Object.hasOwn(value, key) && this.needsExactWriter((value as Record<string, unknown>)[key], depth + 1)) return true;
        }
        return false;
      }
      case 'undefined':
        // Left out of an object (checked by the caller for array items); a whole value cannot be undefined.
        return depth === 1;
      default:
        return true;
    }
  }
}

function writeJson(value: unknown, path: string, depth: number, maxDepth: number): string {
  switch (typeof value) {
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new WebhookValidationError(path, 'contains a lone surrogate');
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      if (!Number.isFinite(value)) throw new WebhookValidationError(path, `${value} is not a JSON number`);
      return Object.is(value, -0) ? '-0' : String(value);
    case 'object': {
      if (value === null) return 'null';
      const source = sourceTexts.get(value);
      if (source !== undefined) return source;
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        return writeJson((value as { toJSON(key: string): unknown }).toJSON(''), path, depth, maxDepth);
      }
      if (depth > maxDepth) throw new WebhookValidationError(path, `nests deeper than ${maxDepth} levels`);
      if (value instanceof Map || value instanceof Set || ArrayBuffer.isView(value)) {
        throw new WebhookValidationError(path, 'is not a JSON value (a Map, Set or binary)');
      }
      if (Array.isArray(value)) {
        return `[${value.map((item, i) => writeJson(item, `${path}[${i}]`, depth + 1, maxDepth)).join(',')}]`;
      }
      const members: string[] = [];
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined) continue;
        members.push(`${writeJson(key, path, depth, maxDepth)}:${writeJson(item, `${path}.${key}`, depth + 1, maxDepth)}`);
      }
      return `{${members.join(',')}}`;
    }
    default:
      throw new WebhookValidationError(path, `is not a JSON value (${typeof value})`);
  }
}

/** A recursive-descent reader; recursion is bounded by maxDepth. */
class JsonTextReader {
  private pos = 0;
  /** The keys and indexes leading to the value being read, for error paths. */
  private readonly path: (string | number)[] = [];
  /** Set by number() when JSON.stringify would write the number it read differently; the container keeps its text. */
  private numberRewritten = false;
  /**
   * How many things read so far JSON.stringify would write otherwise (whitespace, an escape, a number written
   * another way): a value read while this stayed the same is written back as read.
   */
  private rewrites = 0;

  constructor(
    private readonly text: string,
    private readonly field: string,
    private readonly maxDepth: number,
    private readonly textOf: string | undefined,
  ) {}

  document(): unknown {
    this.skipWhitespace();
    const value = this.value(1);
    this.skipWhitespace();
    if (this.pos < this.text.length) this.syntaxError();
    return value;
  }

  private value(depth: number): unknown {
    switch (this.text.charCodeAt(this.pos)) {
      case 0x7b /* { */:
        return this.object(depth);
      case 0x5b /* [ */:
        return this.array(depth);
      case 0x22 /* " */:
        return this.string();
      case 0x74 /* t */:
        return this.literal('true', true);
      case 0x66 /* f */:
        return this.literal('false', false);
      case 0x6e /* n */:
        return this.literal('null', null);
      default:
        return this.number();
    }
  }

  private object(depth: number): Record<string, unknown> {
    this.enter(depth);
    const start = this.pos++;
    const object: Record<string, unknown> = {};
    let keepText = false;
    let members = 0;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 0x7d /* } */) this.pos++;
    else {
      for (;;) {
        if (this.text.charCodeAt(this.pos) !== 0x22) this.syntaxError();
        const key = this.string();
        this.path.push(key);
        keepText ||= INTEGER_KEY.test(key);
        this.skipWhitespace();
        if (this.text.charCodeAt(this.pos) !== 0x3a /* : */) this.syntaxError();
        this.pos++;
        this.skipWhitespace();
        const itemStart = this.pos;
        const rewrites = this.rewrites;
        const item = this.value(depth + 1);
        if (key === this.textOf && rewrites === this.rewrites && typeof item === 'object' && item !== null) {
          sourceTexts.set(item, this.text.slice(itemStart, this.pos));
        }
        keepText ||= this.takeNumberRewritten();
        // Assigning `__proto__` would set the prototype instead of adding the key.
        if (key === '__proto__')
          Object.defineProperty(object, key, { value: item, writable: true, enumerable: true, configurable: true });
        else object[key] = item;
        this.path.pop();
        members++;
        if (this.endOfList(0x7d /* } */)) break;
      }
    }
    // Fewer keys than members: one was given twice (counting beats a lookup per key).
    if (members !== 0 && Object.keys(object).length !== members) this.fail('has a key given twice');
    if (keepText) sourceTexts.set(object, this.text.slice(start, this.pos));
    return object;
  }

  private array(depth: number): unknown[] {
    this.enter(depth);
    const start = this.pos++;
    const array: unknown[] = [];
    let keepText = false;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 0x5d /* ] */) this.pos++;
    else {
      for (;;) {
        this.path.push(array.length);
        array.push(this.value(depth + 1));
        keepText ||= this.takeNumberRewritten();
        this.path.pop();
        if (this.endOfList(0x5d /* ] */)) break;
      }
    }
    if (keepText) sourceTexts.set(array, this.text.slice(start, this.pos));
    return array;
  }

  /** After an item: true at the closing bracket, false after a comma (both consumed). */
  private endOfList(close: number): boolean {
    this.skipWhitespace();
    const c = this.text.charCodeAt(this.pos++);
    if (c === close) return true;
    if (c !== 0x2c /* , */) {
      this.pos--;
      this.syntaxError();
    }
    this.skipWhitespace();
    return false;
  }

  private enter(depth: number): void {
    if (depth > this.maxDepth) this.fail(`nests deeper than ${this.maxDepth} levels`);
  }

  private string(): string {
    const { text } = this;
    const start = ++this.pos;
    let surrogates = false;
    let c: number;
    // Most strings have no escapes: scan them and slice.
    while ((c = text.charCodeAt(this.pos)) !== 0x22) {
      if (c === 0x5c /* \ */) return this.escapedString(start, surrogates);
      if (c < 0x20 || Number.isNaN(c)) this.syntaxError();
      if (c >= 0xd800 && c <= 0xdfff) surrogates = true;
      this.pos++;
    }
    const value = text.slice(start, this.pos++);
    if (surrogates) this.checkSurrogates(value);
    return value;
  }

  private escapedString(start: number, surrogates: boolean): string {
    const { text } = this;
    this.rewrites++;
    let value = '';
    let run = start;
    let c: number;
    while ((c = text.charCodeAt(this.pos)) !== 0x22) {
      if (c < 0x20 || Number.isNaN(c)) this.syntaxError();
      if (c !== 0x5c) {
        if (c >= 0xd800 && c <= 0xdfff) surrogates = true;
        this.pos++;
        continue;
      }
      value += text.slice(run, this.pos);
      const escape = text[this.pos + 1];
      if (escape === 'u') {
        const hex = text.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.syntaxError();
        const code = parseInt(hex, 16);
        if (code >= 0xd800 && code <= 0xdfff) surrogates = true;
        value += String.fromCharCode(code);
        this.pos += 6;
      } else {
        const i = ESCAPED.indexOf(escape);
        if (i < 0 || escape === undefined) this.syntaxError();
        value += UNESCAPED[i];
        this.pos += 2;
      }
      run = this.pos;
    }
    value += text.slice(run, this.pos++);
    if (surrogates) this.checkSurrogates(value);
    return value;
  }

  private checkSurrogates(value: string): void {
    if (LONE_SURROGATE.test(value)) this.fail('contains a lone surrogate (\\ud800-\\udfff not in a pair)');
  }

  private number(): number {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) this.syntaxError();
    const [text] = match;
    this.pos += text.length;
    const value = Number(text);
    // Integers of up to 15 digits other than -0 are written back as read; anything else is compared.
    if (!(Number.isSafeInteger(value) && text.length <= 15 && text !== '-0') && String(value) !== text) {
      this.numberRewritten = true;
      this.rewrites++;
    }
    return value;
  }

  private takeNumberRewritten(): boolean {
    const rewritten = this.numberRewritten;
    this.numberRewritten = false;
    return rewritten;
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.syntaxError();
    this.pos += word.length;
    return value;
  }

  private skipWhitespace(): void {
    let c = this.text.charCodeAt(this.pos);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
    this.rewrites++;
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = this.text.charCodeAt(++this.pos);
  }

  private syntaxError(): never {
    const found = this.pos < this.text.length ? `'${this.text[this.pos]}'` : 'end';
    throw new WebhookValidationError(this.field, `not valid JSON: unexpected ${found} at position ${this.pos}`);
  }

  /** An error about the value at the current path (the whole text when at the top). */
  private fail(reason: string): never {
    throw new WebhookValidationError(formatJsonPath(this.path) || this.field, reason);
  }
}

/** The characters after a backslash, and what each stands for. */
const ESCAPED = '"\\/bfnrt';
const UNESCAPED = '"\\/\b\f\n\r\t';

/** `['data', 'items', 2, 'id']` → `data.items[2].id`. */
function formatJsonPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
