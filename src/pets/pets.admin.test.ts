import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { printed, startProcess, type Running } from '../../test/helpers/appProcess.js';
import { createUser } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { tmpFolder } from '../../test/helpers/tmpDir.js';
import { isProcessAlive } from '../platform/embedded/embedded.ports.js';
import { runPetsCommand } from './pets.admin.js';

const DAY = 86_400_000;
let t: TestApp;
const dirs: string[] = [];
const started: Running[] = [];

// no job workers: the hourly sweep must not run beside the command under test
beforeAll(async () => {
  t = await createTestApp({ work: false });
});
afterAll(async () => {
  for (const r of started) if (r.child.exitCode === null) r.child.kill('SIGTERM');
  await Promise.race([Promise.all(started.map((r) => r.exit)), new Promise((resolve) => setTimeout(resolve, 20_000))]);
  for (const r of started) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await t?.close();
});

function dataDir(): string {
  const d = tmpFolder('sp-pets-cli-');
  dirs.push(d);
  return path.join(d, 'data');
}

async function pets(env: Record<string, string>, ...args: string[]) {
  const lines = { out: [] as string[], err: [] as string[] };
  const code = await runPetsCommand(args, { LOG_LEVEL: 'silent', NODE_ENV: 'test', ...env }, { out: (l) => lines.out.push(l), err: (l) => lines.err.push(l) });
  return { code, stdout: lines.out.join('\n'), stderr: lines.err.join('\n') };
}

/** The command lines of the processes still running from a data dir (PostgreSQL, anvil). */
function runningFrom(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', dir]).toString().trim().split('\n');
  } catch {
    return [];
  }
}

describe('npm run pets -- sweep', () => {
  it('runs the sweep now: a pet left alone for ten days gets its care alert once, which becomes the owner\'s notification', async () => {
    const env = { DATABASE_URL: t.deps.infra.databaseUrl, CHAIN_RPC_URL: inject('rpcUrl'), DATA_DIR: dataDir() };
    const owner = await createUser(t.deps);
    t.deps.services.pets.clock.set(new Date(Date.now() - 10 * DAY));
    const adopted = await t.app.inject({ method: 'POST', url: '/api/v1/pets', headers: owner.auth, payload: { name: 'Mochi' } });
    expect(adopted.statusCode).toBe(201);
    t.deps.services.pets.clock.reset();

    const first = await pets(env, 'sweep');
    expect(first).toEqual({
      code: 0,
      stderr: '',
      stdout: expect.stringMatching(/^pet sweep done\n {2}streaks at risk \(owner warned\): 0\n {2}streaks lost \(written down\): +0\n {2}pets needing care \(owner told\): 1\n/),
    });
    await t.deps.events.drain();
    const told = await t.deps.db.selectFrom('notifications').select(['type', 'body']).where('user_id', '=', owner.id).execute();
    expect(told).toEqual([{ type: 'pet_needs_care', body: expect.stringContaining('Mochi') }]);
    expect((await pets(env, 'sweep')).stdout).toContain('pets needing care (owner told): 0');
  });

  it('prints its usage on stdout when asked, and refuses another command on stderr with exit code 2', async () => {
    for (const help of [['--help'], ['-h'], ['help']]) {
      expect(await pets({}, ...help)).toEqual({ code: 0, stdout: expect.stringMatching(/^usage: npm run pets -- sweep/), stderr: '' });
    }
    expect(await pets({}, 'swep')).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/^usage: /) });
    expect(await pets({}, 'sweep', 'now')).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/^usage: /) });
    expect(await pets({}, 'sweep', '--all')).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/^streakpets: Unknown option '--all'\nusage: /) });
  });
});

describe('npm run pets on the embedded PostgreSQL', { timeout: 120_000 }, () => {
  const run = (env: Record<string, string>) => {
    const r = startProcess({ LOG_LEVEL: 'warn', ...env }, ['sweep'], 'src/pets/pets.cli.ts');
    started.push(r);
    return r;
  };

  it('alone, starts it (migrated), sweeps, and stops it, leaving no process and no owner records behind', async () => {
    const dir = dataDir();
    const r = run({ DATA_DIR: dir });
    expect(await r.exit).toBe(0);
    expect(r.out.join('')).toContain('pet sweep done\n');
    expect(r.err.join('')).toBe('');
    expect(runningFrom(dir)).toEqual([]);
    expect(readdirSync(dir).filter((f) => f.startsWith('pg.owner'))).toEqual([]);
  });

  it('next to a process holding it, uses that PostgreSQL and leaves it running; the holder then stops it and nothing stays behind', async () => {
    const dir = dataDir();
    const holder = startProcess({ DATA_DIR: dir, LOG_LEVEL: 'info' }, [], 'test/process/fixtures/command.fixture.ts');
    started.push(holder);
    expect(await printed(holder, 'holding')).toBe(true);
    const pgPid = Number(readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);

    const r = run({ DATA_DIR: dir });
    expect(await r.exit).toBe(0);
    expect(r.out.join('')).toContain('pets needing care (owner told): 0');
    expect(isProcessAlive(pgPid)).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dir, 'pg.owner'), 'utf8')).pid).toBe(holder.child.pid);
    expect(readdirSync(path.join(dir, 'pg.owner.users'))).toEqual([]);

    holder.child.kill('SIGTERM');
    expect(await holder.exit).toBe(0);
    expect(isProcessAlive(pgPid)).toBe(false);
    expect(runningFrom(dir)).toEqual([]);
    expect(existsSync(path.join(dir, 'pg.owner'))).toBe(false);
    expect(existsSync(path.join(dir, 'pg.owner.users'))).toBe(false);
  });
});
