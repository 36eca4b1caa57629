import type { PagedResult } from '../webhook-model';

/**
 * A row's place in a list ordered by creation time, then id (both in the list's direction): its creation time
 * as PostgreSQL prints it (to the microsecond) and its id.
 */
export interface KeysetPosition {
  creationTime: string;
  id: string;
}

/** A page, and the position its last row holds when another page may follow (null: none does). */
export type KeysetPage<T> = PagedResult<T> & { next: KeysetPosition | null };

/** A list's order: one field and a direction. */
export interface Sorting<F extends string> {
  field: F;
  direction: 'ASC' | 'DESC';
}
