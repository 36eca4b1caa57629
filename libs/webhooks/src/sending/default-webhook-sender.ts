import { Inject, Injectable } from '@nestjs/common';
import { Axios, AxiosError, AxiosHeaders, AxiosResponse, InternalAxiosRequestConfig, RawAxiosHeaders } from 'axios';
import { WEBHOOKS_OPTIONS, WebhooksOptions } from '@hookline/webhooks-core';
import { HttpAnswer, HttpWebhookSender, postWithUndici } from './http-webhook-sender';

/** The Accept header of axios's defaults: still sent (a custom `accept` replaces it), so receivers see what they saw. */
const AXIOS_DEFAULT_ACCEPT = 'application/json, text/plain, */*';
/** What axios's `http` adapter strips from header values before sending (Node's client and undici refuse them). */
const NOT_BYTE_STRING = /[^\t\x20-\x7e\x80-\xff]/;
const NOT_BYTE_STRING_ALL = /[^\t\x20-\x7e\x80-\xff]+/g;
const EDGE_BLANKS = /^[\t ]+|[\t ]+$/g;

/**
 * The default transport: POSTs go through axios (its config, header normalization and error types) but reach
 * the network through a lean custom adapter (axios's public adapter API) on the undici transport that
 * UndiciWebhookSender uses. Axios's own `http` adapter (follow-redirects, AbortController wiring, stream piping,
 * progress and zlib checks) and the merge of axios's full defaults into every call cost far more CPU per POST
 * than the transport itself; this way axios adds little to it.
 * Same behaviour: no redirects, no decompression, the body as given, every status answered, the same errors.
 */
@Injectable()
export class DefaultWebhookSender extends HttpWebhookSender {
  private readonly client: Axios;

  constructor(@Inject(WEBHOOKS_OPTIONS) options: WebhooksOptions) {
    super(options);
    // A bare Axios rather than axios.create(): no defaults are merged into each call but the adapter, and no
    // request or response transform runs (the body is a Buffer both ways). axios's default Accept goes with each
    // request's own headers instead (their names are lower-case), which spares axios a case-blind merge of the
    // headers on every call.
    this.client = new Axios({ adapter: (config) => this.viaUndici(config) });
  }

  protected async post(url: URL, payload: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<HttpAnswer> {
    const response = await this.client.request<Buffer>({
      url: url.href,
      method: 'post',
      data: payload,
      headers: 'accept' in headers ? headers : { accept: AXIOS_DEFAULT_ACCEPT, ...headers },
      timeout: timeoutMs,
    });
    return { statusCode: response.status, headers: response.headers as HttpAnswer['headers'], body: response.data };
  }

  /** The adapter. It does not settle by validateStatus: every status is an answer. */
  private async viaUndici(config: InternalAxiosRequestConfig<Buffer>): Promise<AxiosResponse<Buffer>> {
    const url = new URL(config.url!);
    try {
      const answer = await postWithUndici(
        this.dispatcher,
        url,
        config.data!,
        byteStringHeaders(config.headers),
        // Axios leaves its `timeout` to the adapter.
        config.timeout!,
        this.options.responseBodyLimitBytes,
      );
      const headers = new AxiosHeaders(answer.headers as RawAxiosHeaders);
      return {
        data: answer.body,
        status: answer.statusCode,
        statusText: answer.statusMessage,
        headers,
        config,
        request: undefined,
      };
    } catch (e) {
      // As axios's `http` adapter does: an AxiosError with the cause's message and code (ECONNREFUSED...).
      throw e instanceof Error ? AxiosError.from(e, undefined, config) : e;
    }
  }
}

function byteStringHeaders(headers: AxiosHeaders): Record<string, string> {
  const plain = headers.toJSON(true) as Record<string, string>;
  for (const name in plain) {
    const value = plain[name];
    if (NOT_BYTE_STRING.test(value)) plain[name] = value.replace(NOT_BYTE_STRING_ALL, '').replace(EDGE_BLANKS, '');
  }
  return plain;
}
