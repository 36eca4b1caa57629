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

  it('refuses every range of the IANA special-purpose registries that is not globally reachable', () => {
    for (const a of [
      '0.1.2.3', // this network
      '192.0.0.8', // IETF protocol assignments
      '192.0.2.1', // TEST-NET-1
      '198.18.0.1', // benchmarking
      '198.19.255.254',
      '198.51.100.7', // TEST-NET-2
      '203.0.113.9', // TEST-NET-3
      '224.0.0.1', // multicast
      '239.255.255.250',
      '240.0.0.1', // reserved
      '255.255.255.255', // limited broadcast
      '::', // unspecified
      'ff02::1', // multicast
      'ff0e::1',
      '100::1', // discard-only
      '2001:2::1', // benchmarking
      '2001:10::1', // ORCHID
      '2001:db8::1', // documentation
      '3fff::1', // documentation
      '5f00::1', // SRv6 SIDs
    ]) {
      assert.equal(isPrivateAddress(a), true, a);
    }
  });

  it('judges an IPv6 address that embeds an IPv4 address by that IPv4 address, in every form', () => {
    const forms = (v4: string): string[] => {
      const [a, b, c, d] = v4.split('.').map(Number);
      const high = ((a << 8) | b).toString(16);
      const low = ((c << 8) | d).toString(16);
      const inverted = (n: number) => (n ^ 0xffff).toString(16);
      return [
        `::ffff:${v4}`, // IPv4-mapped
        `::ffff:0:${v4}`, // IPv4-translated
        `64:ff9b::${v4}`, // NAT64
        `2002:${high}:${low}::1`, // 6to4
        `2001:0:${high}:${low}:8000:63bf:f7f7:fbfb`, // Teredo, server (the client is 8.8.4.4)
        `2001:0:4136:e378:8000:63bf:${inverted((a << 8) | b)}:${inverted((c << 8) | d)}`, // Teredo, client (the server is 65.54.227.120)
      ];
    };
    for (const v4 of ['127.0.0.1', '10.0.0.7', '169.254.169.254', '192.168.1.1', '0.0.0.0']) {
      for (const a of forms(v4)) assert.equal(isPrivateAddress(a), true, `${a} (${v4})`);
    }
    for (const a of forms('8.8.8.8')) assert.equal(isPrivateAddress(a), false, `${a} (8.8.8.8)`);
    // IPv4-compatible addresses (deprecated, never routed) and local-use NAT64 are refused whatever they hold.
    for (const a of ['::127.0.0.1', '::8.8.8.8', '64:ff9b:1::808:808', '64:ff9b:1::7f00:1']) {
      assert.equal(isPrivateAddress(a), true, a);
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
