import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderRedactor } from './webhook-headers';

describe('HeaderRedactor', () => {
  it('takes credential-looking names for credentials, in any case', () => {
    const redactor = new HeaderRedactor();
    for (const name of [
      'Authorization',
      'Proxy-Authorization',
      'Cookie',
      'Set-Cookie',
      'X-Auth-Token',
      'x-access-token',
      'X-Webhook-Secret',
      'X-Amz-Security-Token',
      'X-Amz-Date',
      'X-Api-Key',
      'x-apikey',
      'Api_Key',
      'X-Session-Id',
      'X-Password',
    ]) {
      assert.equal(redactor.isCredential(name), true, name);
    }
    for (const name of ['X-Team', 'Webhook-Id', 'Webhook-Signature', 'User-Agent', 'X-Amazon-Trace']) {
      assert.equal(redactor.isCredential(name), false, name);
    }
  });

  it('adds the configured names or parts of names, and redacts a copy', () => {
    const redactor = new HeaderRedactor(['X-Internal-', 'pin']);
    const headers = { 'x-internal-route': 'r', 'X-Tenant-PIN': '1234', 'X-Team': 'ops' };
    assert.deepEqual(redactor.redact(headers), {
      'x-internal-route': '[redacted]',
      'X-Tenant-PIN': '[redacted]',
      'X-Team': 'ops',
    });
    assert.equal(headers['X-Tenant-PIN'], '1234');
  });
});
