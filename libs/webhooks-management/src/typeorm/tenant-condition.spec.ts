import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { IsNull } from 'typeorm';
import { tenantCondition, tenantMatches, tenantWhere } from './tenant-condition';

describe('tenantCondition', () => {
  it('binds a tenant as the next parameter', () => {
    const params: unknown[] = ['order.created'];
    assert.equal(tenantCondition('e.tenant_id', 'acme', params), 'e.tenant_id = $2');
    assert.deepEqual(params, ['order.created', 'acme']);
  });

  it('matches only host rows for the host, with no parameter (never `= NULL`, which matches nothing)', () => {
    const params: unknown[] = [];
    assert.equal(tenantCondition('tenant_id', null, params), 'tenant_id IS NULL');
    assert.deepEqual(params, []);
  });

  it('keeps an empty-string tenant a tenant, not the host', () => {
    const params: unknown[] = [];
    assert.equal(tenantCondition('tenant_id', '', params), 'tenant_id = $1');
    assert.deepEqual(params, ['']);
  });

  it('binds several tenants as one array parameter', () => {
    const params: unknown[] = [['order.*']];
    assert.equal(tenantCondition('tenant_id', ['acme', 'globex'], params), 'tenant_id = ANY($2::varchar[])');
    assert.deepEqual(params, [['order.*'], ['acme', 'globex']]);
  });

  it('checks the owner of a row found by key in one spelling, the tenant or null bound at the parameter', () => {
    assert.equal(tenantMatches('d.tenant_id', '$2'), 'd.tenant_id IS NOT DISTINCT FROM $2');
    assert.equal(tenantMatches('tenant_id', ':tenantId'), 'tenant_id IS NOT DISTINCT FROM :tenantId');
  });

  it("says the same in TypeORM's find options", () => {
    assert.equal(tenantWhere('acme'), 'acme');
    assert.deepEqual(tenantWhere(null), IsNull());
  });
});

const TYPEORM = resolve('libs/webhooks-management/src/typeorm');
const HELPERS = ['tenantCondition', 'tenantMatches', 'tenantWhere'];
const MADE_BY_HELPER = '⟨tenant⟩';

/**
 * Predicates on a tenant column that are not tenant scoping, or not of the kinds the helper makes: each found
 * where it is said to be (so this list cannot outlive its code), and only there.
 */
const NOT_SCOPING: { file: string; text: string; why: string }[] = [
  {
    file: 'stores/typeorm-webhook-event.store.ts',
    text: 'tenant_id = $1 AND idempotency_key = $2',
    why: "an idempotency key's owner is part of its unique key, the host stored as ''",
  },
  {
    file: 'stores/typeorm-webhook-stats.store.ts',
    text: 'tenant_id IS NOT NULL',
    why: "the host's overview of every tenant",
  },
  {
    file: 'stores/typeorm-webhook-data-lifecycle.store.ts',
    text: 'WHERE tenant_id = $1',
    why: 'an erasure names its tenant (never the host): the erasure row and every row of that tenant',
  },
  {
    file: 'stores/typeorm-webhook-data-lifecycle.store.ts',
    text: 'WHERE tenant_id = (',
    why: 'claiming an erasure by its key',
  },
];

/** What stands for a tenant predicate in TypeScript source: SQL on a tenant column, and TypeORM's property forms. */
const OWN_PREDICATES: RegExp[] = [
  // SQL: tenant_id (any alias, quoted or not) before or after a comparison.
  /\b\w*"?tenant_id"?\s*(?:=|<>|!=|<|>|\bIS\b|\bIN\b|\bLIKE\b)/i,
  /(?:=|<>|!=|\bFROM|\bIN)\s*\(?\s*[\w."]*\btenant_id\b/i,
  // A query builder's property path: 's.tenantId = :tenantId', 's.tenantId IS NULL'.
  /\.tenantId\s*(?:(?<![=!<>])=(?!=)|<>|\bIS\b|\bIN\b)/i,
  // Find options: a tenantId in a where, findOneBy, delete... object, or in a FindOptionsWhere, that the helper did not make.
  new RegExp(
    String.raw`(?:\bwhere\s*:|\.where\s*\(|\bandWhere\s*\(|\b(?:findOneBy|findBy|findAndCountBy|countBy|existsBy|exist|delete|softDelete|update)\s*\(|FindOptionsWhere<[^>]*>\s*=)\s*\{[^{}]*\btenantId\b(?!\s*:\s*${MADE_BY_HELPER})`,
  ),
  /\bwhere\.tenantId\s*=/,
];

/** The source with comments gone and every call of the helper replaced by a mark. */
function withoutHelperCalls(source: string): string {
  let text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  for (let at = text.search(helperCall); at !== -1; at = text.search(helperCall)) {
    let depth = 0;
    let end = text.indexOf('(', at);
    do {
      if (text[end] === '(') depth++;
      else if (text[end] === ')') depth--;
      end++;
    } while (depth > 0 && end < text.length);
    text = text.slice(0, at) + MADE_BY_HELPER + text.slice(end);
  }
  return text;
}
const helperCall = new RegExp(String.raw`\b(?:${HELPERS.join('|')})\s*\(`);

/** The lines of `source` holding a tenant predicate that the helper did not make. */
function ownTenantPredicates(source: string): string[] {
  const text = withoutHelperCalls(source);
  const found: string[] = [];
  for (const pattern of OWN_PREDICATES) {
    const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    for (const m of text.matchAll(global)) {
      const lineStart = text.lastIndexOf('\n', m.index) + 1;
      const lineEnd = text.indexOf('\n', m.index + m[0].length);
      found.push(text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd).trim());
    }
  }
  return found;
}

/** Every source file under typeorm/ that queries (not the helper, its specs, entities or migrations). */
function storeSources(): string[] {
  return (readdirSync(TYPEORM, { recursive: true }) as string[])
    .filter((path) => path.endsWith('.ts') && !path.endsWith('.spec.ts'))
    .filter((path) => !/^(?:migrations|entities)[\\/]/.test(path) && path !== 'tenant-condition.ts')
    .map((path) => path.replace(/\\/g, '/'))
    .sort();
}

describe('tenant scoping of the stores', () => {
  it('is made by the helper alone in every store query', () => {
    const files = storeSources();
    assert.ok(files.includes('stores/typeorm-webhook-subscription.store.ts'), `stores found: ${files.join(', ')}`);
    const own: string[] = [];
    for (const file of files) {
      let source = readFileSync(join(TYPEORM, file), 'utf8');
      for (const exempt of NOT_SCOPING.filter((e) => e.file === file)) {
        assert.ok(
          source.includes(exempt.text),
          `${file} no longer holds '${exempt.text}' (${exempt.why}): drop it from NOT_SCOPING`,
        );
        source = source.split(exempt.text).join('');
      }
      own.push(...ownTenantPredicates(source).map((line) => `${file}: ${line}`));
    }
    assert.deepEqual(own, [], 'tenant predicates written by hand: use tenantCondition, tenantMatches or tenantWhere');
  });

  const bypasses: [string, string][] = [
    ['an equality', 'query(`SELECT * FROM webhook_events WHERE tenant_id = $1`, [tenantId])'],
    ['an aliased IS NULL', "const host = `d.tenant_id IS NULL AND d.state = 'pending'`;"],
    ['IS NOT DISTINCT FROM', '`WHERE e.id = $1 AND e.tenant_id IS NOT DISTINCT FROM $2`'],
    ['the parameter first', '`WHERE $2 = "tenant_id"`'],
    ['a list of tenants', '`WHERE tenant_id = ANY($1::varchar[])`'],
    ["a query builder's property", "qb.where('s.tenantId = :tenantId', { tenantId })"],
    ["a query builder's IS NULL", "qb.where('s.tenantId IS NULL')"],
    ['find options by hand', 'this.repository.findOneBy({ id, tenantId: tenantId ?? IsNull() })'],
    ['a where object', "find({ where: { webhookEventId: id, tenantId: tenantId ?? IsNull() }, order: { id: 'ASC' } })"],
    ['a typed where', 'const where: FindOptionsWhere<WebhookSendAttemptEntity> = { tenantId: query.tenantId };'],
    ['a where set later', 'where.tenantId = query.tenantId;'],
    ['a delete', 'this.repository.delete({ id: In([...ids]), tenantId })'],
  ];
  for (const [what, line] of bypasses) {
    it(`finds ${what} written by hand`, () => {
      assert.equal(ownTenantPredicates(line).length > 0, true, line);
    });
  }

  const madeByHelper: [string, string][] = [
    ['a list filter', "`WHERE ${tenantCondition('e.tenant_id', q.tenantId, params)} AND e.webhook_name = $2`"],
    ['a lookup by key', "`WHERE a.id = ANY($3::uuid[]) AND ${tenantMatches('a.tenant_id', '$2')}`"],
    ['find options', 'this.repository.findOneBy({ id, tenantId: tenantWhere(tenantId) })'],
    ['a where object', "find({ where: { webhookEventId: id, tenantId: tenantWhere(tenantId) }, order: { id: 'ASC' } })"],
    ['a typed where', 'const where: FindOptionsWhere<E> = { tenantId: tenantWhere(query.tenantId) };'],
    [
      'a column read, written or grouped by',
      '`SELECT tenant_id AS "tenantId" FROM s GROUP BY tenant_id ON CONFLICT (tenant_id, key)`',
    ],
    ['a row mapped to the model', '({ id: r.id, tenantId: r.tenant_id, state: r.state })'],
    ['a comparison in TypeScript', 'if (query.tenantId === null) return [];'],
  ];
  for (const [what, line] of madeByHelper) {
    it(`passes ${what}`, () => {
      assert.deepEqual(ownTenantPredicates(line), [], line);
    });
  }
});
