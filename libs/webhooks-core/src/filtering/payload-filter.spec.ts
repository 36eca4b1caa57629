import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebhookValidationError } from '../errors';
import { parseJsonText } from '../payload/json-text';
import { PayloadFilterCache, compilePayloadFilter } from './payload-filter';

const order = {
  orderId: 'ord_1',
  total: 12950,
  currency: 'EUR',
  express: false,
  coupon: null,
  placedAt: '2026-11-23T12:00:00.000Z',
  customer: { id: 'cus_1', country: 'GB', tier: 'gold' },
  items: [
    { sku: 'BOOK-1', quantity: 1 },
    { sku: 'PEN-2', quantity: 2 },
  ],
  tags: ['vip', 'b2b'],
};

/** [filter, whether `order` passes it]. */
const semantics: [string, unknown, boolean][] = [
  ['the empty filter', {}, true],
  ['equality of a string', { currency: 'EUR' }, true],
  ['equality that fails', { currency: 'USD' }, false],
  ['equality of a number', { total: 12950 }, true],
  ['no type coercion', { total: '12950' }, false],
  ['equality with false', { express: false }, true],
  ['equality with null (present, null)', { coupon: null }, true],
  ['equality with null (absent)', { missing: null }, false],
  ['a dotted path', { 'customer.country': 'GB' }, true],
  ['an array index in a path', { 'items.1.sku': 'PEN-2' }, true],
  ['an index past the end', { 'items.5.sku': 'PEN-2' }, false],
  ['a path through a scalar', { 'currency.length': 3 }, false],
  ['an inherited property is not a field', { 'customer.constructor': { $exists: true } }, false],
  ['a nested filter', { customer: { country: 'GB', tier: 'gold' } }, true],
  ['a nested filter is partial, not equality', { customer: { country: 'GB' } }, true],
  ['a nested filter that fails', { customer: { country: 'FR' } }, false],
  ['$eq of a whole object', { customer: { $eq: { id: 'cus_1', country: 'GB', tier: 'gold' } } }, true],
  ['$eq of an object ignores key order', { customer: { $eq: { tier: 'gold', id: 'cus_1', country: 'GB' } } }, true],
  ['$eq of a partial object', { customer: { $eq: { country: 'GB' } } }, false],
  ['equality of an array (in order)', { tags: ['vip', 'b2b'] }, true],
  ['equality of an array (out of order)', { tags: ['b2b', 'vip'] }, false],
  ['equality of an array is not membership', { tags: 'vip' }, false],
  ['$in', { currency: { $in: ['USD', 'EUR'] } }, true],
  ['$in that fails', { currency: { $in: ['USD', 'GBP'] } }, false],
  ['$in on an absent field', { missing: { $in: [null] } }, false],
  ['$exists true', { coupon: { $exists: true } }, true],
  ['$exists false on a present field', { coupon: { $exists: false } }, false],
  ['$exists false on an absent field', { 'customer.vat': { $exists: false } }, true],
  ['$gt', { total: { $gt: 10000 } }, true],
  ['$gt at the bound', { total: { $gt: 12950 } }, false],
  ['$gte at the bound', { total: { $gte: 12950 } }, true],
  ['$lt', { total: { $lt: 10000 } }, false],
  ['$lte at the bound', { total: { $lte: 12950 } }, true],
  ['a range', { total: { $gte: 10000, $lt: 20000 } }, true],
  ['a range that fails', { total: { $gte: 10000, $lt: 12000 } }, false],
  ['strings compare in order (ISO timestamps)', { placedAt: { $gte: '2026-11-01T00:00:00Z' } }, true],
  ['a number does not compare with a string', { total: { $gt: '1' } }, false],
  ['a comparison on an absent field', { missing: { $lt: 1 } }, false],
  ['every entry must hold', { currency: 'EUR', 'customer.country': 'FR' }, false],
  ['$and', { $and: [{ currency: 'EUR' }, { total: { $gt: 100 } }] }, true],
  ['$and that fails', { $and: [{ currency: 'EUR' }, { total: { $gt: 1e6 } }] }, false],
  ['$or', { $or: [{ currency: 'USD' }, { 'customer.tier': 'gold' }] }, true],
  ['$or that fails', { $or: [{ currency: 'USD' }, { 'customer.tier': 'silver' }] }, false],
  ['$not', { $not: { currency: 'USD' } }, true],
  ['$not that fails', { $not: { currency: 'EUR' } }, false],
  ['$not of an absent field', { $not: { missing: 1 } }, true],
  ['logic inside a nested filter', { customer: { $or: [{ tier: 'gold' }, { tier: 'platinum' }] } }, true],
  [
    'nested logic',
    { $or: [{ $and: [{ currency: 'EUR' }, { $not: { 'customer.country': 'GB' } }] }, { 'items.0.quantity': { $gte: 1 } }] },
    true,
  ],
];

describe('payload filter semantics', () => {
  for (const [what, filter, passes] of semantics) {
    it(`${what}: ${passes ? 'passes' : 'does not pass'}`, () => {
      assert.equal(compilePayloadFilter(filter)(order), passes, JSON.stringify(filter));
    });
  }

  it('does not pass data that is not an object, unless the filter is empty', () => {
    assert.equal(compilePayloadFilter({ a: 1 })('a'), false);
    assert.equal(compilePayloadFilter({ a: { $exists: false } })(null), true);
    assert.equal(compilePayloadFilter({})(42), true);
  });
});

/** [filter, the field the 400 names, what it says]. */
const invalid: [unknown, string, RegExp][] = [
  [[], 'filter', /must be an object/],
  ['currency = EUR', 'filter', /must be an object/],
  [{ $where: 'x' }, 'filter.$where', /is not a filter operator/],
  [{ $gt: 5 }, 'filter.$gt', /applies to a field/],
  [{ total: { $gt: true } }, 'filter.total.$gt', /must be a number or a string/],
  [{ total: { $gt: 1, sku: 'x' } }, 'filter.total.sku', /cannot stand beside field operators/],
  [{ total: { $regex: 'x', $gt: 1 } }, 'filter.total.$regex', /cannot stand beside field operators/],
  [{ total: { $foo: 1 } }, 'filter.total.$foo', /is not a filter operator/],
  [{ currency: { $in: [] } }, 'filter.currency.$in', /list of 1-100 values/],
  [{ currency: { $in: 'EUR' } }, 'filter.currency.$in', /list of 1-100 values/],
  [{ coupon: { $exists: 'yes' } }, 'filter.coupon.$exists', /true or false/],
  [{ $and: [] }, 'filter.$and', /list of 1-100 filters/],
  [{ $or: [{ a: 1 }, 'b'] }, 'filter.$or[1]', /must be an object/],
  [{ $not: [{ a: 1 }] }, 'filter.$not', /must be an object/],
  [{ 'a..b': 1 }, 'filter.a..b', /dotted path/],
  [{ customer: {} }, 'filter.customer', /is empty/],
  [{ a: { b: { c: { d: { e: { f: { g: { h: { i: { j: 1 } } } } } } } } } }, 'filter.a.b.c.d.e.f.g.h.i', /nests deeper than 8/],
  [{ big: 'x'.repeat(5000) }, 'filter', /at most 4096 characters/],
  [{ $or: [{ $and: [{ total: { $lt: Infinity } }] }] }, 'filter.$or[0].$and[0].total.$lt', /number or a string/],
  // A number beyond 2^53 - 1 stands for several integers, so no comparison with it is exact.
  [parseJsonText('{"id":12345678901234567890}'), 'filter.id', /beyond ±9007199254740991/],
  [{ id: 2 ** 53 }, 'filter.id', /beyond ±9007199254740991/],
  [{ id: { $gt: -(2 ** 53) } }, 'filter.id.$gt', /cannot be compared exactly/],
  [{ id: { $in: [1, 2 ** 60] } }, 'filter.id.$in[1]', /cannot be compared exactly/],
  [{ $or: [{ a: { $eq: { ids: [1, 1e20] } } }] }, 'filter.$or[0].a.$eq.ids[1]', /cannot be compared exactly/],
  [{ ids: [2 ** 53 + 2] }, 'filter.ids[0]', /cannot be compared exactly/],
];

describe('payload filter validation', () => {
  for (const [filter, field, message] of invalid) {
    it(`refuses ${JSON.stringify(filter).slice(0, 60)}, naming ${field}`, () => {
      assert.throws(
        () => compilePayloadFilter(filter),
        (e: unknown) => {
          assert.ok(e instanceof WebhookValidationError, String(e));
          assert.equal(e.field, field);
          assert.match(e.reason, message);
          return true;
        },
      );
    });
  }
});

describe('payload filters on integers beyond 2^53', () => {
  /** Data as a publish request reads it: 9007199254740993 (2^53 + 1) is held as the number 2^53. */
  const data = parseJsonText('{"id":9007199254740993,"neg":-9007199254740993,"small":7}') as object;
  const passes = (filter: unknown, on: unknown = data) => compilePayloadFilter(filter)(on);

  it('compares them exactly with every operand it accepts', () => {
    assert.equal(passes({ id: { $gt: 9007199254740991 } }), true);
    assert.equal(passes({ id: { $lte: 9007199254740991 } }), false);
    assert.equal(passes({ id: 9007199254740991 }), false);
    assert.equal(passes({ neg: { $lt: -9007199254740991 } }), true);
    assert.equal(passes({ neg: { $gte: -4503599627370495.5 } }), false);
  });

  it("compares bigints an application publishes exactly with the filter's numbers", () => {
    const built = { id: 2n ** 64n + 1n, small: 7n, half: 3n };
    assert.equal(passes({ small: 7 }, built), true);
    assert.equal(passes({ small: { $in: [6, 7] } }, built), true);
    assert.equal(passes({ small: { $eq: 7.5 } }, built), false);
    assert.equal(passes({ id: { $gt: 9007199254740991 } }, built), true);
    assert.equal(passes({ id: { $lt: 9007199254740991 } }, built), false);
    assert.equal(passes({ half: { $gt: 2.5, $lt: 3.5 } }, built), true);
    assert.equal(passes({ half: { $gte: 3.5 } }, built), false);
    assert.equal(passes({ half: { $lte: 2.5 } }, built), false);
    assert.equal(passes({ small: { $gt: '1' } }, built), false, 'a bigint does not compare with a string');
    assert.equal(passes({ list: [1, 2] }, { list: [1n, 2n] }), true);
  });

  it('keeps compiling a stored filter that holds one, as it did', () => {
    const predicate = new PayloadFilterCache().get('{"id":{"$gt":12345678901234567890}}');
    assert.equal(predicate({ id: 2 ** 70 }), true);
  });
});

describe('PayloadFilterCache', () => {
  it('compiles each filter text once and stays within its bound', () => {
    const cache = new PayloadFilterCache(2);
    const first = cache.get('{"currency":"EUR"}');
    assert.equal(cache.get('{"currency":"EUR"}'), first);
    assert.equal(first(order), true);
    cache.get('{"a":1}');
    cache.get('{"b":1}');
    assert.notEqual(cache.get('{"currency":"EUR"}'), first, 'evicted once the cache was full');
  });
});
