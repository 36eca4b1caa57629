import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebhookValidationError } from '../errors';
import { MAX_JSON_DEPTH, jsonSourceOf, jsonTextOf, parseJsonText } from './json-text';

/** Asserts that `fn` throws a WebhookValidationError naming `field`. */
function assertRefused(fn: () => unknown, field: string, reason?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof WebhookValidationError, String(e));
    assert.equal(e.field, field);
    if (reason) assert.match(e.reason, reason);
    return true;
  });
}

const nested = (depth: number) => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

describe('parseJsonText', () => {
  it('reads what JSON.parse reads, for ordinary JSON', () => {
    for (const text of ['{"a":[1,2.5,-3e2,true,false,null],"b":{"c":"d\\"e\\\\\\n\\u00e9"}}', '[]', '"x"', '0', ' {} ']) {
      assert.deepEqual(parseJsonText(text), JSON.parse(text), text);
    }
  });

  it('keeps keys named like object members as own properties', () => {
    const text = '{"__proto__":{"x":1},"constructor":"Ferrari","toString":2,"hasOwnProperty":3,"prototype":4}';
    const value = parseJsonText(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(value), ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype']);
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(value, '__proto__')?.value, { x: 1 });
  });

  it('remembers the exact text of every object and array, so numbers and key order survive', () => {
    const data = '{"b":1, "2":12345678901234567890,"1":[-0, 1.0, 1E2]}';
    const value = parseJsonText(`{"data": ${data} }`) as { data: { 1: unknown[] } };
    assert.equal(jsonSourceOf(value.data), data);
    assert.equal(jsonTextOf(value.data, 'data'), data);
    assert.equal(jsonSourceOf(value.data[1]), '[-0, 1.0, 1E2]');
    assert.ok(Object.is(value.data[1][0], -0));
  });

  it('decodes UTF-8 bytes, refusing bytes that are not UTF-8', () => {
    assert.deepEqual(parseJsonText(Buffer.from('{"é":"ü"}')), { é: 'ü' });
    assertRefused(() => parseJsonText(Buffer.from([0x7b, 0xff, 0x7d])), 'body', /UTF-8/);
  });

  it('refuses what it could not pass on unchanged, naming the path', () => {
    assertRefused(() => parseJsonText('{"data":{"a":1,"a":2}}'), 'data', /twice/);
    assertRefused(() => parseJsonText('{"data":{"list":[{"x":"\\ud800"}]}}'), 'data.list[0].x', /surrogate/);
    assertRefused(() => parseJsonText('{"x":"\\udc00\\ud800"}'), 'x', /surrogate/);
    assert.equal(parseJsonText('"\\ud83d\\ude00"'), '😀');
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels, naming where, without exhausting the stack`, () => {
    assert.doesNotThrow(() => parseJsonText(nested(MAX_JSON_DEPTH)));
    assertRefused(() => parseJsonText(nested(MAX_JSON_DEPTH + 1)), `a${'.a'.repeat(MAX_JSON_DEPTH - 1)}`, /deeper/);
    assertRefused(() => parseJsonText('['.repeat(100_000)), '[0]'.repeat(MAX_JSON_DEPTH), /deeper/);
    assertRefused(() => parseJsonText('{"data":[[[]]]}', { maxDepth: 3 }), 'data[0][0]', /deeper than 3/);
  });

  it('refuses text that is not JSON, naming the whole text', () => {
    for (const text of [
      '',
      '{',
      '{"a":}',
      '{"a":1,}',
      '[1,]',
      '01',
      '{a:1}',
      "'x'",
      'tru',
      '"a\nb"',
      '"\\x"',
      '"\\u12"',
      '1 2',
      'NaN',
    ]) {
      assertRefused(() => parseJsonText(text, { field: 'message' }), 'message', /not valid JSON/);
    }
  });
});

describe('jsonTextOf', () => {
  it('writes values it did not read like JSON.stringify, keeping -0 and bigint exact', () => {
    assert.equal(
      jsonTextOf({ a: [1, 'x', null, true], b: { c: 1.5 }, d: undefined }, 'data'),
      '{"a":[1,"x",null,true],"b":{"c":1.5}}',
    );
    assert.equal(jsonTextOf({ id: 12345678901234567890n, zero: -0 }, 'data'), '{"id":12345678901234567890,"zero":-0}');
    assert.equal(jsonTextOf({ at: new Date('2026-01-02T03:04:05Z') }, 'data'), '{"at":"2026-01-02T03:04:05.000Z"}');
    assert.equal(jsonTextOf({ constructor: 'Ferrari', toString: 'x' }, 'data'), '{"constructor":"Ferrari","toString":"x"}');
  });

  it('uses the text of values parseJsonText read, also inside values it did not', () => {
    const read = parseJsonText('{"big":12345678901234567890}');
    assert.equal(jsonTextOf({ wrapped: read }, 'data'), '{"wrapped":{"big":12345678901234567890}}');
  });

  it('answers the text of data read under the textOf member as JSON.stringify writes it, without writing it again', () => {
    const compact = '{"orderId":"ord_8f14e45f","items":[{"sku":"BOOK-1","quantity":1}],"total":12.5,"ok":true,"note":null}';
    const body = parseJsonText(`{"webhookName":"x","data":${compact},"other":${compact}}`, { textOf: 'data' }) as Record<
      string,
      object
    >;
    assert.equal(jsonSourceOf(body.data), compact);
    assert.equal(jsonTextOf(body.data, 'data'), compact);
    // Other members, and the data's own members, are written as before.
    assert.equal(jsonSourceOf(body.other), undefined);
    assert.equal(jsonSourceOf((body.data as { items: object }).items), undefined);
    // Whitespace or an escape: the text is not as JSON.stringify writes it, so the value is written again.
    for (const data of [
      compact.replace('"total":', '"total": '),
      compact.replace('{"sku"', '{ "sku"'),
      compact.replace('BOOK', 'BO\\u004fK'),
      compact.replace('BOOK', 'BO\\/OK'),
    ]) {
      const read = (parseJsonText(`{"data":${data}}`, { textOf: 'data' }) as { data: object }).data;
      assert.equal(jsonSourceOf(read), undefined, data);
      assert.equal(jsonTextOf(read, 'data'), JSON.stringify(JSON.parse(data)), data);
    }
  });

  it('refuses what JSON cannot hold, naming the path', () => {
    assertRefused(() => jsonTextOf({ a: { b: NaN } }, 'data'), 'data.a.b', /not a JSON number/);
    assertRefused(() => jsonTextOf({ a: [1, Infinity] }, 'data'), 'data.a[1]');
    assertRefused(() => jsonTextOf({ a: [undefined] }, 'data'), 'data.a[0]');
    assertRefused(() => jsonTextOf({ f: () => 1 }, 'data'), 'data.f');
    assertRefused(() => jsonTextOf({ m: new Map() }, 'data'), 'data.m');
    assertRefused(() => jsonTextOf({ s: 'a\ud800' }, 'data'), 'data.s', /surrogate/);
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 10_000; i++) at = at.a = {};
    assertRefused(() => jsonTextOf(deep, 'data', 63), `data${'.a'.repeat(63)}`, /deeper than 63/);
  });
});
