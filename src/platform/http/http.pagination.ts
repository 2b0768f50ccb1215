import { z } from 'zod';
import { httpError } from './http.errors.js';

/**
 * A whole-number query parameter in [min, max]. The range is checked first and stops there, so a value
 * past the safe integers (`days=1e20`) is told the parameter's own bound once, not also zod's
 * safe-integer bound (`.int()` reports that as a second error on the same field).
 */
export function queryInt(min: number, max: number) {
  return z.coerce.number().min(min, { abort: true }).max(max, { abort: true }).int();
}

/** Query fields every list accepts: limit (1–100), an opaque cursor, and offset where the seeds had it. */
export function pageQuery(defaultLimit = 50, maxLimit = 100) {
  return z.object({
    limit: queryInt(1, maxLimit).default(defaultLimit),
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

/** The one form of time a cursor carries: what Date#toISOString writes for a row (UTC, milliseconds, `Z`). */
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Whether k is a real instant written exactly as toISOString writes it (so not "1", "2024-02-30…" or "+275760-…"). */
function isCursorTime(k: unknown): k is string {
  if (typeof k !== 'string' || !ISO_MS.test(k)) return false;
  const at = new Date(k);
  return !Number.isNaN(at.getTime()) && at.toISOString() === k;
}

/** A cursor for the row at `position`; `k` must be a row time from Date#toISOString, the only form decodeCursor accepts. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/**
 * Decodes a cursor from a client; a tampered one (its time not in the exact form encodeCursor is given,
 * or not a real date; its id not a UUID) is a 422 invalid_cursor, never a 500 nor a first page again.
 */
export function decodeCursor(cursor: string | undefined): CursorPosition | null {
  if (!cursor) return null;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorPosition> | null;
    if (value && isCursorTime(value.k) && typeof value.id === 'string' && UUID.test(value.id)) return { k: value.k, id: value.id };
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
