import { mkdtempSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/helpers/testApp.js';
import { MIGRATIONS_DIR, runMigrations } from './db.migrate.js';

const pools: pg.Pool[] = [];
afterAll(async () => {
  for (const p of pools) await p.end();
});

async function emptyDatabase(): Promise<pg.Pool> {
  const url = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  pools.push(pool);
  // a fresh database without the template's schema, to migrate from scratch
  await pool.query('drop schema public cascade; create schema public; drop schema if exists pgboss cascade');
  return pool;
}

describe('migrations', () => {
  it('applies every file once, in order, and is a no-op the second time', async () => {
    const pool = await emptyDatabase();
    const first = await runMigrations(pool);
    expect(first.applied[0]).toBe('0001_platform.sql');
    expect(first.applied).toEqual([...first.applied].sort());
    const second = await runMigrations(pool);
    expect(second.applied).toEqual([]);
  });

  it('two processes starting together migrate once (advisory lock)', async () => {
    const pool = await emptyDatabase();
    const other = new pg.Pool({ connectionString: (pool as unknown as { options: { connectionString: string } }).options.connectionString, max: 2 });
    pools.push(other);
    const [a, b] = await Promise.all([runMigrations(pool), runMigrations(other)]);
    const total = a.applied.length + b.applied.length;
    const files = (await pool.query('select name from schema_migrations')).rows.length;
    expect(total).toBe(files);
    expect(Math.min(a.applied.length, b.applied.length)).toBe(0);
  });

  it('rolls back a failing migration and leaves it unapplied', async () => {
    const pool = await emptyDatabase();
    const dir = mkdtempSync(path.join(tmpdir(), 'sp-mig-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    writeFileSync(path.join(dir, '9999_broken.sql'), 'create table half_done (id int); select * from no_such_table;');
    await expect(runMigrations(pool, dir)).rejects.toThrow(/migration 9999_broken.sql failed/);
    const half = await pool.query("select to_regclass('half_done') as t");
    expect(half.rows[0].t).toBeNull();
    const applied = await pool.query("select 1 from schema_migrations where name = '9999_broken.sql'");
    expect(applied.rowCount).toBe(0);
  });
});
