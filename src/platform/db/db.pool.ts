import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { DB } from './db.types.js';

export type Database = Kysely<DB>;

export interface DatabaseHandle {
  pool: pg.Pool;
  db: Database;
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
 * Statements without parameters (begin, savepoint, multi-statement batches) run as before.
 * A migration that changes a table's columns needs the nodes restarted (migrations run at start).
 */
class PreparingClient extends pg.Client {
  override query(config: unknown, values?: unknown, callback?: unknown): never {
    if (typeof config === 'string' && Array.isArray(values) && values.length && typeof callback !== 'function') {
      const name = statementName(config);
      if (name) return super.query({ name, text: config, values } as pg.QueryConfig) as never;
    }
    return (super.query as (...args: unknown[]) => never)(config, values, callback);
  }
}

/** Opens a pg pool (with prepared statements) and the Kysely query builder on it. */
export function openDatabase(connectionString: string, max = 20): DatabaseHandle {
  const pool = new pg.Pool({ connectionString, max, application_name: 'streakpets', Client: PreparingClient });
  pool.on('error', () => {
    // an idle client lost its connection; the pool replaces it on next checkout
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    pool,
    db,
    async close() {
      await db.destroy();
    },
  };
}
