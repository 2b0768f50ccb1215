import { createRequire } from 'node:module';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { DB } from './db.types.js';

export type Database = Kysely<DB>;

export interface DatabaseHandle {
  pool: pg.Pool;
  db: Database;
  /** Ends Kysely and the pg pool (once; later calls wait for the first), whether or not a query ever ran. */
  close(): Promise<void>;
}

// numeric (money, base units) stays a string; bigint counters become numbers only when safe.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
});

/** Distinct statement texts that get a server-side prepared statement; others run unnamed. */
const MAX_PREPARED = 2000;
const statementNames = new Map<string, string>();

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (!name && statementNames.size < MAX_PREPARED) statementNames.set(text, (name = `sp${statementNames.size}`));
  return name;
}

/**
 * A pg client that prepares every parameterized statement once per connection (pg's named
 * statements): PostgreSQL then skips parsing and planning on each later run, which was half of its
 * CPU per chat exchange. Kysely's texts are stable for a query shape, so the set stays small.
 * Statements without parameters (savepoint, multi-statement batches) run as before.
 * A transaction's BEGIN is not sent on its own: it goes out with the transaction's first statement
 * (see deferBegin). A migration that changes a table's columns needs the nodes restarted
 * (migrations run at start).
 */
class PreparingClient extends pg.Client {
  /** Writes held for the coming COMMIT (see HOLD_FOR_COMMIT), as statements with their values inlined. */
  private held: string[] | null = null;
  /** A BEGIN answered here and not sent yet: it travels with the transaction's first statement. */
  private beginPending = false;

  constructor(config?: string | pg.ClientConfig) {
    super(config);
    // A connection lost while the client is checked out is also emitted as 'error', which the pool
    // listens to only while the client is idle: unheard, it would end the process. The query that
    // was running rejects with it (any later one too), and the pool drops the client on release.
    this.on('error', () => undefined);
  }

  override query(config: unknown, values?: unknown, callback?: unknown): never {
    if (typeof config === 'string' && typeof callback !== 'function') {
      const params = Array.isArray(values) ? values : [];
      const held = this.hold(config, params) ?? this.deferBegin(config, params);
      if (held) return held as never;
      const name = params.length ? statementName(config) : undefined;
      if (name) return super.query({ name, text: config, values: params } as pg.QueryConfig) as never;
    }
    return (super.query as (...args: unknown[]) => never)(config, values, callback);
  }

  /**
   * After HOLD_FOR_COMMIT, writes are kept here instead of sent, and go out in one simple-protocol
   * message with the COMMIT: a failing write makes PostgreSQL skip the COMMIT, so the commit fails
   * and the transaction rolls back. A ROLLBACK drops them. Answers the promise to return, or null
   * when the query is sent as usual.
   */
  private hold(text: string, values: unknown[]): Promise<unknown> | null {
    if (text === HOLD_FOR_COMMIT) {
      this.held = [];
      return Promise.resolve(EMPTY_RESULT);
    }
    if (!this.held) return null;
    const held = this.held;
    if (text === 'commit' || text === 'rollback') {
      this.held = null;
      if (text === 'rollback' || !held.length) return null;
      const begin = this.beginPending ? 'begin;\n' : '';
      this.beginPending = false;
      return super.query(`${begin}${held.join(';\n')};\ncommit`) as Promise<unknown>;
    }
    held.push(inlineValues(text, values));
    return Promise.resolve(EMPTY_RESULT);
  }

  /**
   * Kysely awaits a transaction's BEGIN before its first statement: that was a round trip of its
   * own for every transaction. The BEGIN is answered here and sent with the first statement, in one
   * simple-protocol message (its values inlined); a transaction that ends before any statement
   * sends nothing. A statement whose values cannot be inlined (binary) goes after a BEGIN of its
   * own. Answers the promise to return, or null when the query is sent as usual.
   */
  private deferBegin(text: string, values: unknown[]): Promise<unknown> | null {
    if (text === 'begin') {
      this.beginPending = true;
      return Promise.resolve(BEGIN_RESULT);
    }
    if (!this.beginPending) return null;
    this.beginPending = false;
    if (text === 'commit' || text === 'rollback') return Promise.resolve({ ...BEGIN_RESULT, command: text.toUpperCase() });
    let inlined: string;
    try {
      inlined = inlineValues(text, values);
    } catch {
      return (super.query('begin') as Promise<unknown>).then(() => this.query(text, values));
    }
    return (super.query(`begin;\n${inlined}`) as Promise<unknown>).then((results) => {
      const rest = (results as unknown[]).slice(1);
      return rest.length === 1 ? rest[0] : rest;
    });
  }
}

/** Sent (and answered locally) on a transaction's connection: the writes that follow wait for its COMMIT. */
export const HOLD_FOR_COMMIT = '/* streakpets: hold writes for commit */';
const EMPTY_RESULT = { command: 'INSERT', rowCount: 0, rows: [], fields: [] };
const BEGIN_RESULT = { command: 'BEGIN', rowCount: null, rows: [], fields: [] };

/** pg's own text encoding of a parameter (dates, arrays, JSON), so an inlined value reads as the parameter would. */
const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue(value: unknown): string | Buffer | null };

/** A statement with its $n placeholders replaced by escaped literals: untyped, as pg's text parameters are. */
function inlineValues(text: string, values: unknown[]): string {
  if (!values.length) return text;
  return text.replace(/\$(\d+)\b/g, (_, n: string) => {
    const value = prepareValue(values[Number(n) - 1]);
    if (value === null) return 'null';
    if (typeof value !== 'string') throw new Error('a held write cannot inline binary values');
    return quoteLiteral(value);
  });
}

/**
 * pg.escapeLiteral's output (quotes and backslashes doubled, E'' when there is a backslash) without
 * its character-by-character loop, about five times faster: held writes carry whole JSON documents.
 */
export function quoteLiteral(value: string): string {
  const quoted = `'${value.replace(/['\\]/g, '$&$&')}'`;
  return value.includes('\\') ? ` E${quoted}` : quoted;
}

/** Opens a pg pool (with prepared statements) and the Kysely query builder on it. */
export function openDatabase(connectionString: string, max = 20): DatabaseHandle {
  const pool = new pg.Pool({ connectionString, max, application_name: 'streakpets', Client: PreparingClient });
  pool.on('error', () => {
    // an idle client lost its connection; the pool replaces it on next checkout
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  let closing: Promise<void> | null = null;
  return {
    pool,
    db,
    // Kysely ends the pool only if it ran a query; the migration runner uses the pool alone, and its idle client kept the process up
    close() {
      closing ??= (async () => {
        await db.destroy();
        if (!pool.ending) await pool.end();
      })();
      return closing;
    },
  };
}
