import http, { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { waitUntil } from './wait';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  /** Header lines as they came on the wire: name, value, name, value... */
  rawHeaders: string[];
  /** The raw body, exactly as it arrived. */
  body: string;
  receivedAt: number;
}

export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering (to provoke timeouts). */
  delayMs?: number;
  /** Send the status, headers and body, but never end the answer. */
  unended?: boolean;
}

/** One TCP connection a receiver accepted. */
export interface ReceiverConnection {
  open: boolean;
  /** Requests that came on it. */
  requests: number;
}

/** Decides the answer to the n-th request (0-based) on a path. */
export type Responder = (request: ReceivedRequest, n: number) => ReceiverAnswer;

/**
 * A real HTTP receiver on 127.0.0.1 that records every request and answers as each path is told to
 * (200 by default). A list of statuses answers them in turn, then repeats the last one.
 */
export class TestReceiver {
  private readonly received: ReceivedRequest[] = [];
  private readonly responders = new Map<string, Responder>();
  private readonly delayedAnswers = new Set<NodeJS.Timeout>();
  /** Every connection accepted, in order. */
  readonly connections: ReceiverConnection[] = [];
  private readonly connectionBySocket = new WeakMap<Socket, ReceiverConnection>();
  /** Requests received and not yet answered, and the most there ever were, by path. */
  private readonly open = new Map<string, number>();
  private readonly peaks = new Map<string, number>();
  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<TestReceiver> {
    const server = http.createServer();
    const receiver = new TestReceiver(server);
    server.on('connection', (socket) => {
      const connection: ReceiverConnection = { open: true, requests: 0 };
      receiver.connections.push(connection);
      receiver.connectionBySocket.set(socket, connection);
      socket.on('close', () => (connection.open = false));
    });
    server.on('request', (req, res) => {
      receiver.connectionBySocket.get(req.socket)!.requests++;
      receiver.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  on(path: string, responder: Responder | number[]): this {
    const statuses = Array.isArray(responder) ? responder : null;
    this.responders.set(
      path,
      statuses ? (_, n) => ({ status: statuses[Math.min(n, statuses.length - 1)] }) : (responder as Responder),
    );
    return this;
  }

  requests(path?: string): ReceivedRequest[] {
    return path === undefined ? [...this.received] : this.received.filter((r) => r.path === path);
  }

  /** Requests on `path` received and not answered yet (or whose client went away). */
  openRequests(path: string): number {
    return this.open.get(path) ?? 0;
  }

  /** The most requests on `path` that were ever open at once. */
  peakConcurrency(path: string): number {
    return this.peaks.get(path) ?? 0;
  }

  async waitForRequests(path: string, count: number, timeoutMs = 15_000): Promise<ReceivedRequest[]> {
    await waitUntil(() => this.requests(path).length >= count, {
      timeoutMs,
      message: () => `expected ${count} requests on ${path}, got ${this.requests(path).length}`,
    });
    return this.requests(path);
  }

  async close(): Promise<void> {
    for (const timer of this.delayedAnswers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: ReceivedRequest = {
        path: req.url ?? '/',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      };
      const n = this.requests(request.path).length;
      this.received.push(request);
      const path = request.path;
      this.open.set(path, this.openRequests(path) + 1);
      this.peaks.set(path, Math.max(this.peakConcurrency(path), this.openRequests(path)));
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        this.open.set(path, this.openRequests(path) - 1);
      };
      res.on('close', close);
      const responder: Responder = this.responders.get(request.path) ?? (() => ({ status: 200 }));
      const answer = responder(request, n);
      const send = () => {
        if (res.destroyed) return;
        close();
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        if (answer.unended) res.write(answer.body ?? '');
        else res.end(answer.body ?? `answered ${answer.status}`);
      };
      if (!answer.delayMs) return send();
      const timer = setTimeout(() => {
        this.delayedAnswers.delete(timer);
        send();
      }, answer.delayMs);
      this.delayedAnswers.add(timer);
    });
  }
}

/** A port on 127.0.0.1 where nothing listens (connections are refused). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
