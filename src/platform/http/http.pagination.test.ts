import { describe, expect, it } from 'vitest';
import { AppError } from './http.errors.js';
import { decodeCursor, encodeCursor, toPage } from './http.pagination.js';

const id = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The problem decodeCursor throws, or null when it accepts the cursor. */
function refusal(cursor: string): AppError | null {
  try {
    decodeCursor(cursor);
    return null;
  } catch (err) {
    return err as AppError;
  }
}

describe('decodeCursor', () => {
  it('accepts what the server encodes: a row time as toISOString writes it and a UUID', () => {
    for (const at of [new Date('2024-03-05T10:11:12.345Z'), new Date('2024-02-29T00:00:00.000Z'), new Date(0), new Date()]) {
      const position = { k: at.toISOString(), id };
      expect(decodeCursor(encodeCursor(position))).toEqual(position);
    }
    expect(decodeCursor(undefined)).toBeNull();
    expect(decodeCursor('')).toBeNull();
  });

  it('refuses a time in any other form, or not a real date, with 422 invalid_cursor on querystring.cursor', () => {
    const times = [
      '1',
      '0',
      'Tue Mar 05 2024',
      '2024-02-30T00:00:00.000Z',
      '2024-13-01T00:00:00.000Z',
      '2024-03-05T24:00:00.000Z',
      '+275760-09-13T00:00:00.000Z',
      '2024-03-05T10:11:12Z',
      '2024-03-05T10:11:12.345+00:00',
      '2024-03-05T10:11:12.345',
      '2024-03-05',
      ' 2024-03-05T10:11:12.345Z',
      '2024-03-05T10:11:12.345z',
    ];
    for (const k of times) {
      const err = refusal(raw({ k, id }));
      expect(err, k).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ status: 422, code: 'validation_failed', errors: [{ field: 'querystring.cursor', message: 'validation.cursor', code: 'invalid_cursor' }] });
    }
  });

  it('refuses a missing or malformed id, a non-string time, and what is not base64url JSON', () => {
    const k = '2024-03-05T10:11:12.345Z';
    for (const cursor of [raw({ k, id: 'x' }), raw({ k }), raw({ k: 1709633472345, id }), raw(null), raw([k, id]), 'garbage', '%%%']) {
      expect(refusal(cursor)?.code, cursor).toBe('validation_failed');
    }
  });
});

describe('toPage', () => {
  it('cuts limit+1 rows to limit and hands the last row on as a cursor decodeCursor accepts', () => {
    const rows = [3, 2, 1].map((n) => ({ at: new Date(Date.UTC(2024, 0, n)), id }));
    const page = toPage(rows, 2, (r) => ({ k: r.at.toISOString(), id: r.id }));
    expect(page.items).toHaveLength(2);
    expect(page.hasMore).toBe(true);
    expect(decodeCursor(page.nextCursor!)).toEqual({ k: '2024-01-02T00:00:00.000Z', id });
    expect(toPage(rows, 3, (r) => ({ k: r.at.toISOString(), id: r.id }))).toMatchObject({ hasMore: false, nextCursor: null });
  });
});
