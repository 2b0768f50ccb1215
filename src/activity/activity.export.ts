import { Readable } from 'node:stream';
import type { ActivityView } from './activity.service.js';

const CSV_COLUMNS = ['timestamp', 'id', 'userId', 'petId', 'category', 'action', 'source', 'ipAddress', 'userAgent', 'details', 'metadata'] as const;

/** One CSV cell: quoted when needed, and a leading = + - @ neutralised so spreadsheets never run it as a formula. */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

async function* csvLines(rows: AsyncIterable<ActivityView>): AsyncGenerator<string> {
  yield `${CSV_COLUMNS.join(',')}\n`;
  for await (const row of rows) yield `${CSV_COLUMNS.map((c) => csvCell(row[c])).join(',')}\n`;
}

async function* jsonChunks(rows: AsyncIterable<ActivityView>): AsyncGenerator<string> {
  yield '[';
  let first = true;
  for await (const row of rows) {
    yield `${first ? '' : ','}\n${JSON.stringify(row)}`;
    first = false;
  }
  yield '\n]\n';
}

/** Streams an export row by row: nothing buffers the whole result. */
export function exportStream(rows: AsyncIterable<ActivityView>, format: 'csv' | 'json'): Readable {
  return Readable.from(format === 'csv' ? csvLines(rows) : jsonChunks(rows), { objectMode: false });
}
