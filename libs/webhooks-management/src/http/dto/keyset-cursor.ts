import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsObject, IsOptional, isISO8601, isUUID } from 'class-validator';
import type { KeysetPosition } from '@hookline/webhooks';

/**
 * Keyset paging next to skipCount: `nextCursor` of one page, given as `cursor`, starts the next page right after
 * that page's last row, however deep, without counting the rows before it. Opaque to clients: base64url JSON
 * of the last row's creation time (to the microsecond) and id.
 */
export const encodeCursor = (position: KeysetPosition | null): string | null =>
  position && Buffer.from(JSON.stringify([position.creationTime, position.id])).toString('base64url');

/** How PostgreSQL prints a timestamptz as JSON (and nothing it would refuse to read back, such as year 0). */
const POSITION_TIME = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

function decodeCursor(value: unknown): KeysetPosition | unknown {
  if (typeof value !== 'string' || value.length > 200) return value;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(value, 'base64url').toString());
    if (!Array.isArray(decoded) || decoded.length !== 2) return value;
    const [creationTime, id] = decoded as unknown[];
    const validTime =
      typeof creationTime === 'string' && POSITION_TIME.test(creationTime) && isISO8601(creationTime, { strict: true });
    if (!validTime || !isUUID(id)) return value;
    return { creationTime: creationTime as string, id: id as string };
  } catch {
    return value;
  }
}

/** `cursor`: a `nextCursor` a previous page answered; anything else is a 400 naming it. */
export const IsCursor = () =>
  applyDecorators(
    ApiPropertyOptional({ type: String, description: 'The nextCursor of the previous page: this page starts after it.' }),
    IsOptional(),
    Transform(({ value }) => decodeCursor(value)),
    IsObject({ message: 'cursor must be the nextCursor of a previous page' }),
  );
