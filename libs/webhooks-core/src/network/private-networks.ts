import dns from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Tenants choose their webhook URLs, so without a guard the service would POST wherever a tenant points it:
 * loopback, the private network, a cloud metadata endpoint (169.254.169.254). Only globally routable unicast
 * addresses are allowed unless `allowPrivateNetworks` is set: every range of the IANA IPv4 and IPv6
 * special-purpose registries that is not globally reachable is refused (ipaddr.js names most of them; the
 * table below adds the rest), and so is an IPv6 address whose embedded IPv4 address is refused.
 */
const NOT_GLOBAL = [
  '192.0.0.0/24', // IETF protocol assignments (ipaddr.js calls 192.0.0.0/24 reserved too; kept for the reader)
  '198.18.0.0/15', // benchmarking
  '100::/64', // discard-only
  '2001::/23', // IETF protocol assignments: benchmarking, ORCHID... (Teredo, inside it, is judged by its IPv4)
  '3fff::/20', // documentation
  '5f00::/16', // SRv6 segment identifiers
  '::/96', // IPv4-compatible (deprecated): never routed, refused whatever IPv4 it holds
  '64:ff9b:1::/48', // local-use NAT64: translates to the local network
].map((cidr) => ipaddr.parseCIDR(cidr));

/** The IPv4 addresses a globally routed IPv6 form carries: IPv4-mapped and -translated, NAT64, 6to4, Teredo. */
function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4[] {
  const p = ip.parts;
  const v4 = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  switch (ip.range()) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
      return [v4(p[6], p[7])];
    case 'rfc6052': // 64:ff9b::a.b.c.d; ipaddr.js counts local-use 64:ff9b:1::/48 in too, refused as a whole
      return p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0 ? [v4(p[6], p[7])] : [];
    case '6to4': // 2002:AABB:CCDD::/48
      return [v4(p[1], p[2])];
    case 'teredo': // 2001:0:server IPv4:flags:port:client IPv4, the client's bits inverted
      return [v4(p[2], p[3]), v4(p[6] ^ 0xffff, p[7] ^ 0xffff)];
  }
  return [];
}

function isRefused(ip: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (ip.kind() === 'ipv4')
    return ip.range() !== 'unicast' || NOT_GLOBAL.some(([net, bits]) => net.kind() === 'ipv4' && ip.match(net, bits));
  const v6 = ip as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded.length) return embedded.some(isRefused);
  return v6.range() !== 'unicast' || NOT_GLOBAL.some(([net, bits]) => net.kind() === 'ipv6' && v6.match(net, bits));
}

/** True for any address that is not globally routable unicast, IPv4 embedded in IPv6 included. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  // ipaddr.js reads any `::a.b.c.d` as IPv4-mapped; the URL serialiser writes the hexadecimal form it means.
  const canonical = family === 6 && address.includes('.') ? new URL(`http://[${address}]`).hostname.slice(1, -1) : address;
  return isRefused(ipaddr.parse(canonical));
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
