import http from 'node:http';
import https from 'node:https';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import {
  WEBHOOKS_OPTIONS,
  WebhooksOptions,
  privateAddressMessage,
  privateLiteralHost,
  publicOnlyLookup,
} from '@hookline/webhooks-core';
import { honoursRetryAfter, parseRetryAfter } from './retry-policy';
import { WebhookSendRequest, WebhookSendResult, WebhookSender } from './webhook-sender';

/**
 * Sends with Node's own http/https clients over shared keep-alive agents (never a client per call): a
 * general-purpose HTTP library costs about three times the CPU per request, and a webhook POST needs none of
 * its features. Redirects are not followed, nothing is decompressed, bodies are sent as given, and only the
 * first `responseBodyLimitBytes` of an answer are read. Unless private networks are allowed, the agents
 * resolve names with a lookup that refuses private addresses.
 */
@Injectable()
export class DefaultWebhookSender extends WebhookSender implements OnApplicationShutdown {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(@Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions) {
    super();
    const lookup = options.allowPrivateNetworks ? undefined : publicOnlyLookup;
    this.httpAgent = new http.Agent({ keepAlive: true, scheduling: 'lifo', lookup });
    this.httpsAgent = new https.Agent({ keepAlive: true, scheduling: 'lifo', lookup });
  }

  async send({ uri, body, headers, timeoutMs }: WebhookSendRequest): Promise<WebhookSendResult> {
    const failed = (error: string, durationMs = 0): WebhookSendResult => ({
      statusCode: null,
      responseBody: null,
      responseHeaders: null,
      durationMs,
      error,
      retryAfterMs: null,
    });
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
    const payload = Buffer.from(body, 'utf8');
    const limit = this.options.responseBodyLimitBytes;
    return new Promise<WebhookSendResult>((resolve) => {
      let settled = false;
      const finish = (result: WebhookSendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const request = (url.protocol === 'https:' ? https : http).request(url, {
        method: 'POST',
        agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
        headers: { ...headers, 'accept-encoding': 'identity', 'content-length': payload.length },
      });
      // Covers connecting, sending and reading the answer.
      const timer = setTimeout(() => {
        finish(failed(`Timed out after ${timeoutMs} ms`, elapsed()));
        request.destroy();
      }, timeoutMs);
      request.on('error', (e) => finish(failed(describeError(e), elapsed())));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const answer = () => {
          const responseHeaders = Object.fromEntries(
            Object.entries(response.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
          );
          const statusCode = response.statusCode ?? null;
          finish({
            statusCode,
            responseBody: Buffer.concat(chunks).subarray(0, limit).toString('utf8'),
            responseHeaders,
            durationMs: elapsed(),
            error: null,
            retryAfterMs: honoursRetryAfter(statusCode) ? parseRetryAfter(responseHeaders['retry-after']) : null,
          });
        };
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= limit) {
            // Enough kept: drop the rest (and the socket, if more was coming).
            answer();
            response.destroy();
          }
        });
        response.on('end', answer);
        response.on('error', (e) => finish(failed(describeError(e), elapsed())));
        response.on('close', () => finish(failed('The connection closed before the answer ended', elapsed())));
      });
      request.end(payload);
    });
  }

  /** Not on module destroy: deliveries in flight may still be finishing during the worker's shutdown grace period. */
  onApplicationShutdown(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as NodeJS.ErrnoException).code;
  return code && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
}
