import { isIP } from 'node:net';
import { Agent, Dispatcher, ProxyAgent, util as undiciUtil } from 'undici';
import { Inject, OnApplicationShutdown } from '@nestjs/common';
import {
  WEBHOOKS_OPTIONS,
  WebhooksOptions,
  privateAddressMessage,
  privateLiteralHost,
  publicOnlyLookup,
} from '@hookline/webhooks-core';
import { honoursRetryAfter, parseRetryAfter } from './retry-policy';
import { WebhookSendRequest, WebhookSendResult, WebhookSender } from './webhook-sender';

const TCP_KEEPALIVE_DELAY_MS = 60_000;
/** The longest timeout a send may have (`timeoutDuration` is at most 300 s, globally and per subscription). */
const LONGEST_SEND_TIMEOUT_MS = 300_000;
/** The most one socket read hands over: the chunk that crosses the body limit is still read whole. */
const LARGEST_CHUNK_BYTES = 64 * 1024;

/** What an HTTP client answers for one POST, before it becomes a WebhookSendResult. */
export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** At most `responseBodyLimitBytes` of the body. */
  body: Buffer;
}

/**
 * What every HTTP sender shares: shared keep-alive agents (never a client per call) whose lookup refuses
 * private addresses unless they are allowed, the checks made before connecting, and the shape of the result.
 * A subclass only POSTs: no redirects followed, nothing decompressed, the body sent as given, and no more
 * than `responseBodyLimitBytes` of the answer read; it throws on a transport failure.
 */
export abstract class HttpWebhookSender extends WebhookSender implements OnApplicationShutdown {
  /**
   * One undici Agent: a keep-alive pool per origin, every socket's address checked by `lookup`. Or, with an
   * egress proxy, a ProxyAgent: the same pools, each connection a CONNECT tunnel through the proxy.
   */
  protected readonly dispatcher: Agent | ProxyAgent;

  constructor(@Inject(WEBHOOKS_OPTIONS) protected readonly options: WebhooksOptions) {
    super();
    const lookup = options.allowPrivateNetworks ? undefined : publicOnlyLookup;
    const agentOptions: Agent.Options = {
      // A send's own timer covers connecting too, and answers on time; undici's connect timeout (10 s by default)
      // only cleans up a connection attempt that outlives every send's timeout.
      connect: { lookup, keepAlive: true, keepAliveInitialDelay: TCP_KEEPALIVE_DELAY_MS, timeout: LONGEST_SEND_TIMEOUT_MS },
      // Its header and body timeouts are set per request by postWithUndici.
      headersTimeout: 0,
      bodyTimeout: 0,
      // Past the kept part of an answer, undici closes the connection itself (see postWithUndici).
      maxResponseSize: options.responseBodyLimitBytes + LARGEST_CHUNK_BYTES,
    };
    this.dispatcher = options.egressProxyUrl
      ? new ProxyAgent({ ...agentOptions, uri: options.egressProxyUrl })
      : new Agent(agentOptions);
  }

  /** POSTs `payload`; rejects with a SendTimeoutError when the exchange takes longer than `timeoutMs`. */
  protected abstract post(url: URL, payload: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<HttpAnswer>;

  async send({ uri, body, headers, timeoutMs }: WebhookSendRequest): Promise<WebhookSendResult> {
    // A literal IP is connected to without any lookup, so it is checked here.
    const literal = this.options.allowPrivateNetworks ? null : privateLiteralHost(uri);
    if (literal) return failed(`Refused: ${privateAddressMessage('the host', literal)}`);
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return failed('Invalid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return failed(`Unsupported protocol ${url.protocol}`);

    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const target = await this.connectionTarget(url);
      const answer = await this.post(
        target.url,
        Buffer.from(body, 'utf8'),
        { ...headers, ...target.headers, 'accept-encoding': 'identity' },
        timeoutMs,
      );
      const responseHeaders = Object.fromEntries(
        Object.entries(answer.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
      );
      return {
        statusCode: answer.statusCode,
        responseBody: answer.body.subarray(0, this.options.responseBodyLimitBytes).toString('utf8'),
        responseHeaders,
        durationMs: elapsed(),
        error: null,
        retryAfterMs: honoursRetryAfter(answer.statusCode) ? parseRetryAfter(responseHeaders['retry-after']) : null,
      };
    } catch (e) {
      return failed(describeError(e), elapsed());
    }
  }

  /**
   * Where to connect. Through a proxy, the proxy would resolve the name, out of reach of the private-network
   * guard: the name is resolved here instead (public addresses only) and the tunnel opened to that address, the
   * name going as the Host header and the TLS server name. Direct, `lookup` checks the address at connect time.
   */
  private async connectionTarget(url: URL): Promise<{ url: URL; headers: Record<string, string> }> {
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!this.options.egressProxyUrl || this.options.allowPrivateNetworks || isIP(hostname)) return { url, headers: {} };
    const { address, family } = await new Promise<{ address: string; family: number }>((resolve, reject) =>
      publicOnlyLookup(hostname, {}, (err, address, family) =>
        err ? reject(err) : resolve({ address: address as string, family: family! }),
      ),
    );
    const pinned = new URL(url);
    pinned.hostname = family === 6 ? `[${address}]` : address;
    return { url: pinned, headers: { host: url.host } };
  }

  /** Not on module destroy: deliveries in flight may still be finishing during the worker's shutdown grace period. */
  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.destroy();
  }
}

const failed = (error: string, durationMs = 0): WebhookSendResult => ({
  statusCode: null,
  responseBody: null,
  responseHeaders: null,
  durationMs,
  error,
  retryAfterMs: null,
});

function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  // Axios wraps what its adapter throws, keeping it as the cause.
  if (e.cause instanceof SendTimeoutError) return e.cause.message;
  const code = (e as NodeJS.ErrnoException).code;
  return code && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
}

/** A send that took longer than its timeout (connecting, sending and reading the answer together). */
export class SendTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Timed out after ${timeoutMs} ms`);
    this.name = 'SendTimeoutError';
  }
}

/**
 * One POST through undici's dispatcher API, the transport both senders share (axios through its adapter API):
 * the body sent as given, no redirect followed, nothing decompressed, at most `limit` bytes of the answer kept.
 * Rejects on a transport failure, or with a SendTimeoutError when the whole exchange (connecting included) takes
 * longer than `timeoutMs`. The bare dispatch handler rather than `request()` or Node's `http.request`: no stream
 * per request, and less CPU per POST than Node's client.
 *
 * An exchange that is answered (or timed out) early is not aborted through undici's abort callback: undici 6
 * queues an aborted request again when it closes the socket, and opens a new, empty connection for it that idles
 * until its keep-alive timeout. Undici ends such exchanges itself instead, failing the request for good: its
 * headers and body timeouts (set to the send's) close a connection whose answer is late, and its
 * `maxResponseSize` (set on the Agent) one whose answer runs past what is kept; an answer that ends before either
 * leaves its connection open for the next send. Only an answer still trickling in a whole timeout after its
 * deadline, or a connection that comes after the deadline, is aborted.
 */
export function postWithUndici(
  dispatcher: Dispatcher,
  url: URL,
  payload: Buffer,
  headers: Record<string, string>,
  timeoutMs: number,
  limit: number,
): Promise<HttpAnswer & { statusMessage: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let statusCode = 0;
    let statusMessage = '';
    let responseHeaders: HttpAnswer['headers'] = {};
    let abort: ((reason?: Error) => void) | null = null;
    let settled = false;
    const giveUpAt = Date.now() + 2 * timeoutMs;
    // Answered at once; undici closes the connection when its own timeouts pass.
    const timer = setTimeout(() => settle(() => reject(new SendTimeoutError(timeoutMs))), timeoutMs);
    const settle = (answer: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      answer();
    };
    const answered = () =>
      settle(() => resolve({ statusCode, statusMessage, headers: responseHeaders, body: Buffer.concat(chunks) }));
    dispatcher.dispatch(
      {
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers,
        body: payload,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      },
      {
        onConnect: (abortRequest) => {
          // Timed out before the connection came: throwing drops the request before it is written, and the
          // connection stays in the pool.
          if (settled) throw new SendTimeoutError(timeoutMs);
          abort = abortRequest;
        },
        onHeaders: (status, rawHeaders, _resume, statusText) => {
          // 1xx answers (100 Continue, 103 Early Hints) come before the real one.
          if (status < 200 || settled) return true;
          statusCode = status;
          statusMessage = statusText;
          responseHeaders = undiciUtil.parseHeaders(rawHeaders as unknown as Buffer[]);
          return true;
        },
        onData: (chunk) => {
          if (settled) {
            // The rest of an answer already given (or too late) is read and dropped, within bounds (see above).
            if (Date.now() > giveUpAt) abort?.(new SendTimeoutError(timeoutMs));
            return true;
          }
          chunks.push(chunk);
          size += chunk.length;
          if (size >= limit) answered();
          return true;
        },
        onComplete: answered,
        onError: (e) => settle(() => reject(e)),
      },
    );
  });
}
