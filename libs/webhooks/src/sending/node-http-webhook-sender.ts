import { Injectable } from '@nestjs/common';
import { HttpAnswer, HttpWebhookSender, postWithNodeHttp } from './http-webhook-sender';

/**
 * The lean transport (`WEBHOOKS_HTTP_CLIENT=node`): Node's own http/https clients on the same agents and
 * rules as the default, without axios's request pipeline in between; choose it when the worker's CPU is
 * what limits throughput.
 */
@Injectable()
export class NodeHttpWebhookSender extends HttpWebhookSender {
  protected post(url: URL, payload: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<HttpAnswer> {
    return postWithNodeHttp(url, this.agentFor(url), payload, headers, timeoutMs, this.options.responseBodyLimitBytes);
  }
}
