import { Webhook } from 'standardwebhooks';
import type { ReceivedRequest } from './receiver';

/** The Standard Webhooks headers of a received request, as the stock verifier takes them. */
export const standardHeaders = (r: ReceivedRequest) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

/** Whether the stock Standard Webhooks verifier accepts the request with this secret. */
export function verifiesWithSecret(secret: string, r: ReceivedRequest): boolean {
  try {
    new Webhook(secret).verify(r.body, standardHeaders(r));
    return true;
  } catch {
    return false;
  }
}
