import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPrivateAddress, privateLiteralHost, publicOnlyLookup } from './private-networks';

describe('private network guard', () => {
  it('knows private, loopback, link-local and reserved addresses from public ones', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
    ]) {
      assert.equal(isPrivateAddress(a), true, a);
    }
    for (const a of ['8.8.8.8', '172.32.0.1', '93.184.216.34', '2606:4700::1111', 'example.com']) {
      assert.equal(isPrivateAddress(a), false, a);
    }
  });

  it('finds literal private hosts in URLs, brackets and all', () => {
    assert.equal(privateLiteralHost('http://127.0.0.1:8080/x'), '127.0.0.1');
    assert.equal(privateLiteralHost('http://[::1]:8080/x'), '::1');
    assert.equal(privateLiteralHost('https://hooks.example.com/x'), null);
    assert.equal(privateLiteralHost('http://8.8.8.8/'), null);
  });

  it('refuses a name that resolves to a private address', async () => {
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      publicOnlyLookup('localhost', {}, (err) => resolve(err)),
    );
    assert.equal(error?.code, 'EPRIVATEADDRESS');
    assert.match(error!.message, /localhost is (127\.0\.0\.1|::1), a private or reserved address/);
  });
});
