import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebhookDataSchemas, WebhookSchemaViolationError, jsonPath } from './webhook-data-schemas';

describe('WebhookDataSchemas', () => {
  const schema = {
    type: 'object',
    required: ['id'],
    additionalProperties: false,
    properties: { id: { type: 'string' }, 'odd key': { type: 'object', properties: { '0': { type: 'integer' } } } },
  };

  it('compiles a schema once and reuses the validator for as long as the schema object lives', () => {
    const schemas = new WebhookDataSchemas();
    const ajv = (schemas as unknown as { ajv: { compile: (s: object) => unknown } }).ajv;
    let compiled = 0;
    const compile = ajv.compile.bind(ajv);
    ajv.compile = (s: object) => (compiled++, compile(s));
    for (let i = 0; i < 3; i++) schemas.violations(schema, { id: 'x' });
    assert.equal(compiled, 1);
    schemas.violations(structuredClone(schema), { id: 'x' });
    assert.equal(compiled, 2, 'a new schema object (a new version) gets its own validator');
  });

  it('names the path of each violation, the missing or extra property included, and the rule', () => {
    const violations = new WebhookDataSchemas().violations(schema, { 'odd key': { '0': 1.5 }, extra: true });
    assert.deepEqual(violations, [
      { field: 'data.id', message: 'is required (required)' },
      { field: 'data.extra', message: 'is not allowed (additionalProperties)' },
      { field: 'data["odd key"][0]', message: 'must be integer (type)' },
    ]);
  });

  it('lists at most 20 violations and counts the rest', () => {
    const many = { type: 'array', items: { type: 'string' } };
    const violations = new WebhookDataSchemas().violations(
      many,
      Array.from({ length: 25 }, (_, i) => i),
    );
    assert.equal(violations.length, 21);
    assert.deepEqual(violations.at(-1), { field: 'data', message: 'and 5 more violations' });
  });

  it('throws one error that carries every violation', () => {
    assert.throws(
      () => new WebhookDataSchemas().assertValid(schema, {}),
      (e: unknown) =>
        e instanceof WebhookSchemaViolationError && e.details[0].field === 'data.id' && /data\.id: is required/.test(e.message),
    );
  });

  it('says what is wrong with a schema or its example', () => {
    const schemas = new WebhookDataSchemas();
    assert.equal(schemas.contractProblem(schema, { id: 'a' }), null);
    assert.equal(schemas.contractProblem({ type: 'nope' }, undefined)?.field, 'schema');
    assert.deepEqual(schemas.contractProblem(schema, { id: 1 }), {
      field: 'example.id',
      message: 'breaks the schema: must be string (type)',
    });
    assert.deepEqual(schemas.contractProblem(schema, 'x'), { field: 'example', message: 'must be a JSON object' });
  });

  it('replaces a schema of the same $id with its new version', () => {
    const schemas = new WebhookDataSchemas();
    const v1 = { $id: 'https://example.com/order', type: 'object', required: ['a'] };
    const v2 = { $id: 'https://example.com/order', type: 'object', required: ['b'] };
    assert.equal(schemas.violations(v1, { a: 1 }).length, 0);
    assert.equal(schemas.violations(v2, { b: 1 }).length, 0);
    assert.equal(schemas.violations(v2, { a: 1 })[0].field, 'data.b');
  });

  it('writes JSON paths the way the API names fields', () => {
    assert.equal(jsonPath('data', ['items', '0', 'sku']), 'data.items[0].sku');
    assert.equal(jsonPath('data', ['a.b', '01']), 'data["a.b"]["01"]');
    assert.equal(jsonPath('example', []), 'example');
  });
});
