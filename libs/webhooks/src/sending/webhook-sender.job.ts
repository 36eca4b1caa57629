import type { JobOptions } from 'bull';
import type { ClaimedDelivery, DispatchItem } from '../domain/ports/delivery-dispatch';

/** The Bull queue of the webhooks module (its Redis keys also hold the scheduler's). */
export const WEBHOOKS_QUEUE = 'webhooks';

/**
 * ABP's WebhookSenderJob: one send of one delivery the scheduler handed out. It carries the claim only (no
 * payload, no secret): everything else is read from PostgreSQL when it runs.
 */
export const WEBHOOK_SENDER_JOB = 'WebhookSenderJob';
export type WebhookSenderJobData = ClaimedDelivery;

/** A waiting retry: a delayed job (id = delivery id) that moves the delivery into its retry lane when due. */
export const WEBHOOK_RETRY_JOB = 'WebhookRetryJob';
export type WebhookRetryJobData = DispatchItem;

/**
 * A sender job per claim. Its id is the claim's lease, so adding it twice is harmless. It runs once: a job
 * whose process died is not run again by Bull (the queue's `maxStalledCount` is 0), since the claim's lease
 * expiring hands the delivery out again. Finished jobs are removed, so Redis does not grow.
 */
export const webhookSenderJobs = (claims: readonly ClaimedDelivery[]) =>
  claims.map((claim) => ({
    name: WEBHOOK_SENDER_JOB,
    data: claim satisfies WebhookSenderJobData,
    opts: { jobId: claim.lease, attempts: 1, removeOnComplete: true, removeOnFail: true } satisfies JobOptions,
  }));
