import http from 'node:http';
import net, { AddressInfo } from 'node:net';

/**
 * A forward proxy on 127.0.0.1 that only tunnels (HTTP CONNECT), recording each tunnel's target, so a test sees
 * which connections went through it.
 */
export class ConnectProxy {
  /** `host:port` of every CONNECT, in order. */
  readonly tunnels: string[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<ConnectProxy> {
    const server = http.createServer((_req, res) => res.writeHead(405).end('CONNECT only'));
    const proxy = new ConnectProxy(server);
    server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => proxy.tunnel(req, client, head));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private tunnel(req: http.IncomingMessage, client: net.Socket, head: Buffer): void {
    const target = req.url ?? '';
    this.tunnels.push(target);
    const colon = target.lastIndexOf(':');
    const upstream = net.connect(Number(target.slice(colon + 1)), target.slice(0, colon).replace(/^\[(.*)\]$/, '$1'));
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    }
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  }
}
