import { isIP, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { privateAddressMessage, privateLiteralHost, publicOnlyLookup } from '@hookline/webhooks-core';

export interface Reachability {
  reachable: boolean;
  /** host:port tried. */
  target: string;
  /** Time to connect (TCP, plus the TLS handshake for https). */
  durationMs: number;
  error: string | null;
}

/**
 * Connects to the URI's host and port, and for https completes a TLS handshake (certificate checked), then
 * hangs up: nothing is POSTed. The same SSRF rules as a delivery apply, so a private address is refused
 * unless private networks are allowed.
 */
export async function checkReachability(
  uri: string,
  options: { allowPrivateNetworks: boolean; timeoutMs: number },
): Promise<Reachability> {
  const url = new URL(uri);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const secure = url.protocol === 'https:';
  const port = Number(url.port) || (secure ? 443 : 80);
  const target = `${url.hostname}:${port}`;
  const literal = options.allowPrivateNetworks ? null : privateLiteralHost(uri);
  if (literal)
    return { reachable: false, target, durationMs: 0, error: `Refused: ${privateAddressMessage('the host', literal)}` };

  const lookup = options.allowPrivateNetworks ? undefined : publicOnlyLookup;
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = secure
      ? tlsConnect({ host, port, lookup, servername: isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'] })
      : tcpConnect({ host, port, lookup });
    const finish = (error: string | null) => {
      socket.destroy();
      resolve({ reachable: error === null, target, durationMs: Math.round(performance.now() - started), error });
    };
    socket.setTimeout(options.timeoutMs, () => finish(`no ${secure ? 'TLS ' : ''}connection within ${options.timeoutMs} ms`));
    socket.once(secure ? 'secureConnect' : 'connect', () => finish(null));
    socket.once('error', (e: NodeJS.ErrnoException) =>
      finish(e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message),
    );
  });
}
