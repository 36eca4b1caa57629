import type { WebhookSendAttempt } from '../webhook-model';
import type { KeysetPage, KeysetPosition, Sorting } from './paging';
import type { DeliveryTransition } from './webhook-delivery.store';

export const SEND_ATTEMPT_SORT_FIELDS = ['creationTime', 'attemptNumber', 'responseStatusCode', 'durationMs'] as const;
export type SendAttemptSortField = (typeof SEND_ATTEMPT_SORT_FIELDS)[number];

export interface SendAttemptQuery {
  tenantId: string | null;
  /** Only rows after this one (keyset paging, when sorted by creation time); skipCount then counts from there. */
  after?: KeysetPosition;
  webhookEventId?: string;
  subscriptionId?: string;
  /** success: the attempt got a 2xx; failed: anything else. */
  state?: 'success' | 'failed';
  responseStatusCode?: number;
  /** Inclusive bounds on the attempt's creation time. */
  creationTimeFrom?: Date;
  creationTimeTo?: Date;
  /** Text in the receiver's response body (case-insensitive). */
  responseContains?: string;
  /** Default: newest first. */
  sorting?: Sorting<SendAttemptSortField>;
  skipCount: number;
  maxResultCount: number;
}

/** Store port of send attempts (ABP's IWebhookSendAttemptStore). */
export abstract class WebhookSendAttemptStore {
  /**
   * In one transaction: stores the attempt, moves its delivery to `transition`, and updates the subscription's run of consecutive failed attempts (reset by a
   * success). Returns that run's length.
   */
  abstract record(attempt: WebhookSendAttempt, transition: DeliveryTransition): Promise<{ consecutiveFailures: number }>;
  /**
   * Tenant-scoped, newest first unless sorted otherwise. `next` only when sorted by creation time (the default),
   * the one order keyset paging follows.
   */
  abstract list(query: SendAttemptQuery): Promise<KeysetPage<WebhookSendAttempt>>;
  /** Tenant-scoped: another tenant's attempt is not found. */
  abstract findById(tenantId: string | null, id: string): Promise<WebhookSendAttempt | null>;
  /** Deletes those of these attempts that belong to the tenant; returns how many. */
  abstract delete(tenantId: string | null, ids: readonly string[]): Promise<number>;
}
