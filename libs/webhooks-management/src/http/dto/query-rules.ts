import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsDate, Matches, isISO8601 } from 'class-validator';
import type { Sorting } from '@hookline/webhooks';

/** An ISO 8601 date-time (`2026-01-02T03:04:05Z`, or a date) in a query or body, turned into a Date. */
export const IsoDateTime = () =>
  applyDecorators(
    // Strict: a day that does not exist (2026-02-30) is refused rather than rolled over into March.
    Transform(({ value }) => (typeof value === 'string' && isISO8601(value, { strict: true }) ? new Date(value) : value)),
    IsDate({ message: ({ property }) => `${property} must be an ISO 8601 date-time such as 2026-01-02T03:04:05Z` }),
  );

/** `sorting`: one of `fields`, optionally followed by `asc` or `desc` (ABP's `creationTime desc`). */
export const IsSorting = (fields: readonly string[]) =>
  Matches(new RegExp(`^(${fields.join('|')})(\\s+(asc|desc))?$`, 'i'), {
    message: `sorting must be one of ${fields.join(', ')}, optionally followed by asc or desc`,
  });

/** Reads a `sorting` that passed IsSorting; undefined when none was given. */
export function parseSorting<F extends string>(sorting: string | undefined, fields: readonly F[]): Sorting<F> | undefined {
  if (!sorting) return undefined;
  const [name, direction = 'asc'] = sorting.trim().split(/\s+/);
  const field = fields.find((f) => f.toLowerCase() === name.toLowerCase());
  if (!field) return undefined;
  return { field, direction: direction.toLowerCase() === 'desc' ? 'DESC' : 'ASC' };
}
