import http from 'node:http';
import https from 'node:https';
import { Injectable } from '@nestjs/common';
import { HttpAnswer, HttpWebhookSender, readAtMost } from './http-webhook-sender';

/**
 * The lean transport (`WEBHOOKS_HTTP_CLIENT=node`): Node's own http/https clients on the same agents and
 * rules as the default. A general-purpose client such as axios costs several times the CPU per request, and a
 * webhook POST needs none of its features; choose this one when the worker's CPU is what limits throughput.
 */
@Injectable()
export class NodeHttpWebhookSender extends HttpWebhookSender {
  protected post(url: URL, payload: Buffer, headers: Record<string, string>, signal: AbortSignal): Promise<HttpAnswer> {
    return new Promise<HttpAnswer>((resolve, reject) => {
      const request = (url.protocol === 'https:' ? https : http).request(url, {
        method: 'POST',
        agent: this.agentFor(url),
        headers: { ...headers, 'content-length': payload.length },
        signal,
      });
      request.on('error', reject);
      request.on('response', (response) => {
        readAtMost(response, this.options.responseBodyLimitBytes)
          .then((body) => resolve({ statusCode: response.statusCode ?? 0, headers: response.headers, body }))
          .catch(reject);
      });
      request.end(payload);
    });
  }
}
