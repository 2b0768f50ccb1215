import { z } from 'zod';
import { httpError } from './http.errors.js';

/** Query fields every list accepts: limit (1–100), an opaque cursor, and offset where the seeds had it. */
export function pageQuery(defaultLimit = 50, maxLimit = 100) {
  return z.object({
    limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit),
    cursor: z.string().max(500).optional(),
  });
}

export interface CursorPosition {
  /** ISO time of the last row returned. */
  k: string;
  /** Tie-breaking id (a UUID) of the last row returned. */
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** Decodes a cursor from a client; a tampered one (not a time and a UUID) is a 422, never a 500. */
export function decodeCursor(cursor: string | undefined): CursorPosition | null {
  if (!cursor) return null;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorPosition;
    if (typeof value?.k === 'string' && !Number.isNaN(Date.parse(value.k)) && typeof value?.id === 'string' && UUID.test(value.id)) return value;
  } catch {
    // fall through to the problem below
  }
  throw httpError('validation_failed', {}, [{ field: 'querystring.cursor', message: 'validation.cursor', code: 'invalid_cursor' }]);
}

/** Turns limit+1 fetched rows into a page with hasMore and nextCursor. */
export function toPage<T>(rows: T[], limit: number, position: (row: T) => CursorPosition) {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return { items, hasMore, nextCursor: hasMore && last ? encodeCursor(position(last)) : null };
}
