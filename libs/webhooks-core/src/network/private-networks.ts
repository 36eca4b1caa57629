import dns from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Tenants choose their webhook URLs, so without a guard the service would POST wherever a tenant points it:
 * loopback, the private network, a cloud metadata endpoint (169.254.169.254). These ranges are refused
 * unless `allowPrivateNetworks` is set.
 */
const PRIVATE_OR_RESERVED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE_OR_RESERVED.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE_OR_RESERVED.addSubnet(network, prefix, 'ipv6');
}

/** True for loopback, private, link-local, shared, multicast and reserved addresses (IPv4-mapped IPv6 included). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && PRIVATE_OR_RESERVED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The host of a URL when it is a literal private address (no DNS involved), else null. */
export function privateLiteralHost(uri: string): string | null {
  const host = new URL(uri).hostname.replace(/^\[(.*)\]$/, '$1');
  return isPrivateAddress(host) ? host : null;
}

export const privateAddressMessage = (what: string, address: string) =>
  `${what} is ${address}, a private or reserved address; set WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true to allow it`;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A dns.lookup for HTTP agents that fails when a name resolves to a private address. It checks the very
 * addresses the connection will use, so a name that changes its answer (DNS rebinding) cannot slip past.
 */
export function publicOnlyLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const blocked = addresses.find((a) => isPrivateAddress(a.address));
    if (blocked) {
      const error: NodeJS.ErrnoException = new Error(privateAddressMessage(hostname, blocked.address));
      error.code = 'EPRIVATEADDRESS';
      return callback(error, []);
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
}
