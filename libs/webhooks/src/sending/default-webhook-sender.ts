import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import axios, { AxiosInstance } from 'axios';
import { WEBHOOKS_OPTIONS, WebhooksOptions } from '@hookline/webhooks-core';
import { HttpAnswer, HttpWebhookSender, readAtMost } from './http-webhook-sender';

/**
 * The default transport: one shared axios instance, trimmed to what a webhook POST needs (no redirects, no
 * decompression, no body transforms, no proxy, every status answered, the body read as a stream).
 */
@Injectable()
export class DefaultWebhookSender extends HttpWebhookSender {
  private readonly client: AxiosInstance;

  constructor(@Inject(WEBHOOKS_OPTIONS) options: WebhooksOptions) {
    super(options);
    this.client = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      adapter: 'http',
      maxRedirects: 0,
      decompress: false,
      proxy: false,
      responseType: 'stream',
      validateStatus: () => true,
      transformRequest: [(data: unknown) => data],
      transitional: { clarifyTimeoutError: false },
    });
  }

  protected async post(url: URL, payload: Buffer, headers: Record<string, string>, signal: AbortSignal): Promise<HttpAnswer> {
    const response = await this.client.post<Readable>(url.href, payload, { headers, signal });
    const body = await readAtMost(response.data, this.options.responseBodyLimitBytes);
    return { statusCode: response.status, headers: response.headers as HttpAnswer['headers'], body };
  }
}
