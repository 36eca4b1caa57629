/** What is needed to build the body of one send. `dataJson` is the event data exactly as it was published. */
export interface WebhookPayloadInput {
  webhookEventId: string;
  webhookName: string;
  attempt: number;
  dataJson: string;
  creationTime: Date;
  sendExactSameData: boolean;
}

/**
 * The body on the wire: the envelope `{ id, webhookEvent, attempt, data, creationTimeUtc }` (ABP's
 * WebhookPayload), or the raw data when the event asked for sendExactSameData. The data is spliced in as
 * stored, never re-serialised, so it reaches the receiver byte for byte as published.
 */
export function buildWebhookBody(p: WebhookPayloadInput): string {
  if (p.sendExactSameData) return p.dataJson;
  return (
    `{"id":${JSON.stringify(p.webhookEventId)},"webhookEvent":${JSON.stringify(p.webhookName)},` +
    `"attempt":${p.attempt},"data":${p.dataJson},"creationTimeUtc":${JSON.stringify(p.creationTime.toISOString())}}`
  );
}
