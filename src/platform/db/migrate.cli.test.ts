import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/helpers/testApp.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const run = promisify(execFile);
type Ended = { code?: number; stdout: string; stderr: string };
/** The command with a database that cannot be reached: anything that tries to migrate fails with exit code 1. */
const migrateCli = (...args: string[]): Promise<Ended> =>
  run(process.execPath, ['--import', 'tsx', 'src/platform/db/migrate.cli.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, DATABASE_URL: 'postgres://streakpets:pw@127.0.0.1:1/streakpets', LOG_LEVEL: 'silent' },
    timeout: 60_000,
  }).catch((err: Ended) => err);

describe('npm run migrate', () => {
  it('exits as soon as the migrations are applied', async () => {
    const url = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    await pool.query('drop schema public cascade; create schema public; drop schema if exists pgboss cascade');
    await pool.end();

    const run = spawn(process.execPath, ['--import', 'tsx', 'src/platform/db/migrate.cli.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DATABASE_URL: url, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const said: string[] = [];
    let answered = 0;
    run.stdout.on('data', (d) => {
      said.push(String(d));
      answered ||= performance.now();
    });
    run.stderr.on('data', (d) => said.push(String(d)));
    const code = await new Promise((resolve) => run.once('exit', resolve));
    expect(code, said.join('')).toBe(0);
    expect(said.join('')).toMatch(/^applied: 0001_platform\.sql/);
    // pg's idle clients are closed after 10 s: a process still holding one exits only then (the
    // time is taken from its answer, so slow start-up or migrations on a busy machine do not count)
    expect(performance.now() - answered).toBeLessThan(5000);
  }, 30_000);

  it('prints its usage for --help and refuses any argument, migrating nothing', async () => {
    const [help, short, unknown, stray] = await Promise.all([migrateCli('--help'), migrateCli('-h'), migrateCli('--dry-run'), migrateCli('up')]);
    for (const asked of [help, short]) {
      expect(asked.code ?? 0).toBe(0);
      expect(asked.stdout).toMatch(/^usage: npm run migrate\n/);
      expect(asked.stderr).toBe('');
    }
    expect(unknown).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^streakpets: Unknown option '--dry-run'\nusage: npm run migrate\n/) });
    expect(stray).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^streakpets: Unexpected argument 'up'\nusage: npm run migrate\n/) });
  }, 60_000);
});
