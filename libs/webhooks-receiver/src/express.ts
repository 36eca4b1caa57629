import type { IncomingMessage, ServerResponse } from 'node:http';
import { HooklineWebhook, VerifyWebhookOptions, WebhookVerificationError, verifyWebhook } from './verify';

/** A request once the middleware has passed it on. */
export interface WebhookRequest extends IncomingMessage {
  /** The body's bytes as received. */
  rawBody?: Buffer;
  /** The verified delivery. */
  webhook?: HooklineWebhook;
  body?: unknown;
}

export interface WebhookMiddlewareOptions extends VerifyWebhookOptions {
  /** Largest body read, in bytes (default 1 MiB); a larger one is answered 413. */
  maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Express (or Connect) middleware: reads the raw body itself, verifies the delivery and puts it on
 * `req.webhook` (the raw bytes on `req.rawBody`); answers 401 to a delivery that does not verify. Mount it
 * on the webhook route before any JSON body parser, or after `express.raw({ type: 'application/json' })`.
 */
export function webhookMiddleware(options: WebhookMiddlewareOptions) {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return (req: WebhookRequest, res: ServerResponse, next: (error?: unknown) => void): void => {
    rawBodyOf(req, maxBodyBytes)
      .then((raw) => {
        if (raw === null) return answer(res, 413, `the body is larger than ${maxBodyBytes} bytes`);
        req.rawBody = raw;
        req.webhook = verifyWebhook(raw, req.headers, options);
        next();
      })
      .catch((e: unknown) => (e instanceof WebhookVerificationError ? answer(res, 401, e.reason) : next(e)));
  };
}

/** The body's bytes: from `express.raw()` or Nest's `rawBody`, else read from the stream; null when too large. */
async function rawBodyOf(req: WebhookRequest, maxBodyBytes: number): Promise<Buffer | null> {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  if (Buffer.isBuffer(req.body)) return req.body;
  if (req.body !== undefined && req.readableEnded) {
    throw new Error('webhookMiddleware: the body was already parsed; mount it before express.json() or use express.raw()');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function answer(res: ServerResponse, status: number, reason: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ error: reason }));
}
