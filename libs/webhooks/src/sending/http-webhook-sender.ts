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
      const answer = await this.post(url, Buffer.from(body, 'utf8'), { ...headers, 'accept-encoding': 'identity' }, timeoutMs);
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
 * One POST with Node's own http/https client, the transport both senders share (axios through its adapter
 * API): the body sent as given with its content-length, no redirect followed, nothing decompressed, at most
 * `limit` bytes of the answer read (the rest is dropped, and the socket with it if more was coming). Rejects on
 * a transport failure, or with a SendTimeoutError when the whole exchange takes longer than `timeoutMs`. A plain
 * timer and stream events rather than an AbortSignal and an async iterator: those cost more CPU per request
 * than everything else here.
 */
export function postWithNodeHttp(
  url: URL,
  agent: http.Agent,
  payload: Buffer,
  headers: Record<string, string>,
  timeoutMs: number,
  limit: number,
): Promise<HttpAnswer & { statusMessage: string }> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      agent,
      headers: { ...headers, 'content-length': payload.length },
    });
    let settled = false;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.destroy();
    }, timeoutMs);
    const settle = (answer: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      answer();
    };
    // Whatever error destroying the request causes, a timeout is reported as one.
    const fail = (e: unknown) => settle(() => reject(timedOut ? new SendTimeoutError(timeoutMs) : e));
    request.on('error', fail);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () =>
        settle(() =>
          resolve({
            statusCode: response.statusCode ?? 0,
            statusMessage: response.statusMessage ?? '',
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size < limit) return;
        // Answered first, so the errors that destroying the socket may raise are ignored.
        done();
        response.destroy();
      });
      response.on('end', done);
      response.on('error', fail);
      response.on('aborted', () => fail(new Error('the response was cut off')));
    });
    request.end(payload);
  });
}
