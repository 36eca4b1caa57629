import type { JobOptions } from 'bull';
import type { ClaimedDelivery, DispatchItem } from '../domain/ports/delivery-dispatch';

/** The Bull queue of the webhooks module (its Redis keys also hold the scheduler's). */
export const WEBHOOKS_QUEUE = 'webhooks';

/**
 * ABP's WebhookSenderJob: the sends of the deliveries the scheduler handed out to one claim, run side by side.
 * It carries the claims only (no payload, no secret): everything else is read from PostgreSQL when it runs.
 * One job per claim rather than per delivery, so Bull's own work (adding, taking, finishing a job) is paid once
 * for all the places that freed up together.
 */
export const WEBHOOK_SENDER_JOB = 'WebhookSenderJob';
export interface WebhookSenderJobData {
  claims: readonly ClaimedDelivery[];
}

/** A waiting retry: a delayed job (id = delivery id) that moves the delivery into its retry lane when due. */
export const WEBHOOK_RETRY_JOB = 'WebhookRetryJob';
export type WebhookRetryJobData = DispatchItem;

/**
 * The sender job of a claim. Its id is its first claim's lease, so adding it twice is harmless. It runs once: a
 * job whose process died is not run again by Bull (the queue's `maxStalledCount` is 0), since the claims' leases
 * expiring hands the deliveries out again. Finished jobs are removed, so Redis does not grow.
 */
export const webhookSenderJob = (claims: readonly ClaimedDelivery[]) => ({
  name: WEBHOOK_SENDER_JOB,
  data: { claims } satisfies WebhookSenderJobData,
  opts: { jobId: claims[0].lease, attempts: 1, removeOnComplete: true, removeOnFail: true } satisfies JobOptions,
});
