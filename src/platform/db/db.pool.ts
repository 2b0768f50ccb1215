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

/** Opens a pg pool and the Kysely query builder on it. */
export function openDatabase(connectionString: string, max = 20): DatabaseHandle {
  const pool = new pg.Pool({ connectionString, max, application_name: 'streakpets' });
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
