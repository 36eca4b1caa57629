import { Injectable } from '@nestjs/common';
import { HttpAnswer, HttpWebhookSender, postWithUndici } from './http-webhook-sender';

/**
 * The lean transport (`WEBHOOKS_HTTP_CLIENT=undici`): the transport the default uses, on the same dispatcher
 * and rules, without axios's request pipeline in between; choose it when the worker's CPU is what limits
 * throughput.
 */
@Injectable()
export class UndiciWebhookSender extends HttpWebhookSender {
  protected post(url: URL, payload: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<HttpAnswer> {
    return postWithUndici(this.dispatcher, url, payload, headers, timeoutMs, this.options.responseBodyLimitBytes);
  }
}
