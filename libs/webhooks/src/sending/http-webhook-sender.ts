import http from 'node:http';
import https from 'node:https';
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
  protected readonly httpAgent: http.Agent;
  protected readonly httpsAgent: https.Agent;

  constructor(@Inject(WEBHOOKS_OPTIONS) protected readonly options: WebhooksOptions) {
    super();
    const lookup = options.allowPrivateNetworks ? undefined : publicOnlyLookup;
    // Axios sets a 60 s TCP keep-alive delay on every request's socket, and the agent its own delay each time
    // it takes a socket back: the same 60 s here, or each request pays for two flips of it (eight setsockopt calls).
    const agentOptions = { keepAlive: true, keepAliveMsecs: TCP_KEEPALIVE_DELAY_MS, scheduling: 'lifo' as const, lookup };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
  }

  /** POSTs `payload`; rejects with `signal`'s abort when the timeout fires. */
  protected abstract post(url: URL, payload: Buffer, headers: Record<string, string>, signal: AbortSignal): Promise<HttpAnswer>;

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
    // Covers connecting, sending and reading the answer.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const answer = await this.post(url, Buffer.from(body, 'utf8'), { ...headers, 'accept-encoding': 'identity' }, abort.signal);
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
      return failed(abort.signal.aborted ? `Timed out after ${timeoutMs} ms` : describeError(e), elapsed());
    } finally {
      clearTimeout(timer);
    }
  }

  /** Not on module destroy: deliveries in flight may still be finishing during the worker's shutdown grace period. */
  onApplicationShutdown(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  protected agentFor(url: URL): http.Agent {
    return url.protocol === 'https:' ? this.httpsAgent : this.httpAgent;
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
  const code = (e as NodeJS.ErrnoException).code;
  return code && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
}

/**
 * One POST with Node's own http/https client, the transport both senders share (axios through its adapter
 * API): the body sent as given with its content-length, no redirect followed, nothing decompressed, at most
 * `limit` bytes of the answer read; rejects on a transport failure or when `signal` aborts.
 */
export function postWithNodeHttp(
  url: URL,
  agent: http.Agent,
  payload: Buffer,
  headers: Record<string, string>,
  signal: AbortSignal,
  limit: number,
): Promise<HttpAnswer & { statusMessage: string }> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      agent,
      headers: { ...headers, 'content-length': payload.length },
      signal,
    });
    request.on('error', reject);
    request.on('response', (response) => {
      readAtMost(response, limit)
        .then((body) =>
          resolve({
            statusCode: response.statusCode ?? 0,
            statusMessage: response.statusMessage ?? '',
            headers: response.headers,
            body,
          }),
        )
        .catch(reject);
    });
    request.end(payload);
  });
}

/** Reads a response stream up to `limit` bytes, then drops the rest (and the socket, if more was coming). */
export async function readAtMost(stream: NodeJS.ReadableStream & { destroy(): void }, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) {
      stream.destroy();
      break;
    }
  }
  return Buffer.concat(chunks);
}
