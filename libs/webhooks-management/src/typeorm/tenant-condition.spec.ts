import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tenantCondition } from './tenant-condition';

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
});
