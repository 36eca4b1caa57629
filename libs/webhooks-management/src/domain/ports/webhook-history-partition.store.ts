/** What a retention pass did with one expired range of the history (its partitions of the three tables). */
export interface ExpiredHistoryPartition {
  /** The partitions' name suffix (`_p20261205`, `_legacy`). */
  suffix: string;
  /** The end of the range: every event in it was created before. */
  until: Date;
  /**
   * dropped; kept_pending: a delivery in it is still pending, so nothing of it is dropped until none is;
   * kept_busy: its tables were in use past the lock timeout, it is tried again on the next pass.
   */
  outcome: 'dropped' | 'kept_pending' | 'kept_busy';
  pendingDeliveries: number;
}

/** A day of history past the response retention whose attempts' response bodies and headers were erased. */
export interface ErasedHistoryResponses {
  suffix: string;
  until: Date;
  /** Attempts that had a response body or headers. */
  attempts: number;
}

/** What a retention pass did. */
export interface HistoryRetentionResult {
  expired: ExpiredHistoryPartition[];
  responsesErased: ErasedHistoryResponses[];
}

/** Port: the time partitions of the delivery history (events, deliveries, send attempts). */
export abstract class WebhookHistoryPartitionStore {
  /** Creates the day partitions missing up to and including the day of `until`; answers their name suffixes. */
  abstract createPartitionsUntil(now: Date, until: Date): Promise<string[]>;
  /**
   * Drops the partitions whose range ended by `cutoff`, whole, unless a delivery in them is pending; erases the
   * attempts' response bodies and headers, once, in the days kept whose range ended by `responseCutoff` (null:
   * none). Null when another process is running a pass.
   */
  abstract applyRetention(cutoff: Date, responseCutoff: Date | null): Promise<HistoryRetentionResult | null>;
}
