/** One HTTP send, fully prepared: the body is the exact bytes signed, the headers are final. */
export interface WebhookSendRequest {
  uri: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

export interface WebhookSendResult {
  /** Null when no answer came (timeout, refused connection, DNS error...). */
  statusCode: number | null;
  /** The start of the answer's body, cut at the configured limit. */
  responseBody: string | null;
  responseHeaders: Record<string, string> | null;
  durationMs: number;
  /** Why no usable answer came; null when one did. */
  error: string | null;
  retryAfterMs: number | null;
}

/**
 * Port: the transport (ABP's IWebhookSender). It never throws for a receiver's failure; it reports it.
 * Replace it to send through a proxy, with mTLS, or otherwise.
 */
export abstract class WebhookSender {
  abstract send(request: WebhookSendRequest): Promise<WebhookSendResult>;
}
