import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/helpers/testApp.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('npm run migrate', () => {
  it('exits as soon as the migrations are applied', async () => {
    const url = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    await pool.query('drop schema public cascade; create schema public; drop schema if exists pgboss cascade');
    await pool.end();

    const started = performance.now();
    const run = spawn(process.execPath, ['--import', 'tsx', 'src/platform/db/migrate.cli.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DATABASE_URL: url, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const said: string[] = [];
    run.stdout.on('data', (d) => said.push(String(d)));
    run.stderr.on('data', (d) => said.push(String(d)));
    const code = await new Promise((resolve) => run.once('exit', resolve));
    expect(code, said.join('')).toBe(0);
    expect(said.join('')).toMatch(/^applied: 0001_platform\.sql/);
    // pg's idle clients are closed after 10 s: a process still holding one exits only then
    expect(performance.now() - started).toBeLessThan(8000);
  }, 30_000);
});
