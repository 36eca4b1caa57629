import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import axios, { AxiosInstance, isAxiosError } from 'axios';
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
 * Sends with one shared axios instance over keep-alive agents (never a client per call). Redirects are not
 * followed, bodies are sent as given, and only the first `responseBodyLimitBytes` of an answer are read.
 * Unless private networks are allowed, the agents resolve names with a lookup that refuses private addresses.
 */
@Injectable()
export class DefaultWebhookSender extends WebhookSender implements OnModuleDestroy {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly client: AxiosInstance;

  constructor(@Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions) {
    super();
    const lookup = options.allowPrivateNetworks ? undefined : publicOnlyLookup;
    this.httpAgent = new http.Agent({ keepAlive: true, scheduling: 'lifo', lookup });
    this.httpsAgent = new https.Agent({ keepAlive: true, scheduling: 'lifo', lookup });
    this.client = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      maxRedirects: 0,
      decompress: false,
      proxy: false,
      responseType: 'stream',
      validateStatus: () => true,
      transformRequest: [(data: unknown) => data],
    });
  }

  async send({ uri, body, headers, timeoutMs }: WebhookSendRequest): Promise<WebhookSendResult> {
    // A literal IP is connected to without any lookup, so it is checked here.
    const literal = this.options.allowPrivateNetworks ? null : privateLiteralHost(uri);
    if (literal) {
      const error = `Refused: ${privateAddressMessage('the host', literal)}`;
      return { statusCode: null, responseBody: null, responseHeaders: null, durationMs: 0, error, retryAfterMs: null };
    }
    const started = performance.now();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const response = await this.client.post<Readable>(uri, body, {
        headers: { ...headers, 'accept-encoding': 'identity' },
        signal: abort.signal,
      });
      const responseBody = await readAtMost(response.data, this.options.responseBodyLimitBytes);
      const responseHeaders = Object.fromEntries(
        Object.entries(response.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
      );
      return {
        statusCode: response.status,
        responseBody,
        responseHeaders,
        durationMs: elapsed(),
        error: null,
        retryAfterMs: honoursRetryAfter(response.status) ? parseRetryAfter(responseHeaders['retry-after']) : null,
      };
    } catch (e) {
      const error = abort.signal.aborted ? `Timed out after ${timeoutMs} ms` : describeError(e);
      return { statusCode: null, responseBody: null, responseHeaders: null, durationMs: elapsed(), error, retryAfterMs: null };
    } finally {
      clearTimeout(timer);
    }
  }

  onModuleDestroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** Reads a response stream up to `limit` bytes, then drops the rest (and the socket, if more was coming). */
async function readAtMost(stream: Readable, limit: number): Promise<string> {
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
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

function describeError(e: unknown): string {
  if (isAxiosError(e)) {
    const code = e.code && !e.message.includes(e.code) ? ` (${e.code})` : '';
    return `${e.message}${code}`;
  }
  return e instanceof Error ? e.message : String(e);
}
