import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

/** One CSV cell: quoted when needed, and a leading = + - @ neutralised so spreadsheets never run it as a formula. */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

async function* csvLines<T>(rows: AsyncIterable<T>, columns: ReadonlyArray<keyof T & string>): AsyncGenerator<string> {
  yield `${columns.join(',')}\n`;
  for await (const row of rows) yield `${columns.map((c) => csvCell(row[c])).join(',')}\n`;
}

async function* jsonChunks<T>(rows: AsyncIterable<T>): AsyncGenerator<string> {
  yield '[';
  let first = true;
  for await (const row of rows) {
    yield `${first ? '' : ','}\n${JSON.stringify(row)}`;
    first = false;
  }
  yield '\n]\n';
}

/** Streams an export row by row (CSV with the given columns, or a JSON array): nothing buffers the whole result. */
export function exportStream<T>(rows: AsyncIterable<T>, format: 'csv' | 'json', columns: ReadonlyArray<keyof T & string>): Readable {
  return Readable.from(format === 'csv' ? csvLines(rows, columns) : jsonChunks(rows), { objectMode: false });
}

/** Sends an export as a dated attachment named `<name>-YYYY-MM-DD.<format>`. */
export function sendExport<T>(reply: FastifyReply, name: string, rows: AsyncIterable<T>, format: 'csv' | 'json', columns: ReadonlyArray<keyof T & string>) {
  const stamp = new Date().toISOString().slice(0, 10);
  reply
    .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}-${stamp}.${format}"`);
  return reply.send(exportStream(rows, format, columns));
}
