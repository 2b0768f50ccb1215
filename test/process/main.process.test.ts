import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { freePort, isProcessAlive, waitFor } from '../../src/platform/embedded/embedded.ports.js';
import { tmpFolder } from '../helpers/tmpDir.js';

const root = path.resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  port: number;
  out: string[];
  err: string[];
  exit: Promise<number | null>;
}

function start(env: Record<string, string>, args: string[] = [], as?: { uid: number; gid: number }): Running {
  const out: string[] = [];
  const err: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...as,
  });
  children.push(child);
  child.stdout!.on('data', (d) => out.push(String(d)));
  child.stderr!.on('data', (d) => err.push(String(d)));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, port: Number(env.PORT), out, err, exit };
}

async function ready(r: Running, timeoutMs = 60_000): Promise<void> {
  const ok = await waitFor(async () => r.out.join('').includes('StreakPets is ready') || r.child.exitCode !== null, timeoutMs, 100);
  if (!ok || r.child.exitCode !== null) throw new Error(`did not start: ${r.err.join('')}${r.out.join('').slice(-2000)}`);
}

/** Whether every folder down to dir lets others in, and dir's files let them read. */
function readableByOthers(dir: string): boolean {
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) if (!(statSync(d).mode & 0o001)) return false;
  return Boolean(statSync(path.join(dir, 'src', 'main.ts')).mode & 0o004);
}

function tmpDataDir(): string {
  const d = tmpFolder('sp-main-');
  dirs.push(d);
  return path.join(d, 'data');
}

describe('npm start (the real process)', { timeout: 120_000 }, () => {
  it('starts on embedded PostgreSQL and anvil, serves, reuses data on restart, and shuts down cleanly', async () => {
    const dataDir = tmpDataDir();
    const port = await freePort();
    const first = start({ DATA_DIR: dataDir, PORT: String(port) });
    await ready(first);
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(res.status).toBe(200);
    expect(first.out.join('')).toContain('migrations applied');
    const pgPid = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const anvilPid = Number(readFileSync(path.join(dataDir, 'anvil', 'anvil.pid'), 'utf8'));
    expect(isProcessAlive(pgPid)).toBe(true);
    expect(isProcessAlive(anvilPid)).toBe(true);
    const secrets = path.join(dataDir, 'secrets.json');
    expect((await import('node:fs')).statSync(secrets).mode & 0o777).toBe(0o600);

    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(isProcessAlive(pgPid)).toBe(false);
    expect(isProcessAlive(anvilPid)).toBe(false);
    expect(existsSync(path.join(dataDir, 'anvil', 'state.json'))).toBe(true);

    const second = start({ DATA_DIR: dataDir, PORT: String(port) });
    await ready(second);
    expect(second.out.join('')).not.toContain('migrations applied');
    expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
    second.child.kill('SIGINT');
    expect(await second.exit).toBe(0);
  });

  // as root the suite also checks a user who is not (the container image's): PostgreSQL then runs as that
  // user; it needs a checkout others may read (where it is not, the suite's non-root runs check this)
  it.runIf(process.getuid?.() === 0 && readableByOthers(root))('starts for a user who is not root, running PostgreSQL as that user', async () => {
    const nobody = { uid: 65534, gid: 65534 };
    const dataDir = tmpDataDir();
    chownSync(path.dirname(dataDir), nobody.uid, nobody.gid);
    const port = await freePort();
    const app = start({ DATA_DIR: dataDir, PORT: String(port), HOME: path.dirname(dataDir) }, [], nobody);
    await ready(app);
    expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
    const pgPid = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pgPid}/status`, 'utf8'))![1]).toBe(String(nobody.uid));
    app.child.kill('SIGTERM');
    expect(await app.exit).toBe(0);
    expect(isProcessAlive(pgPid)).toBe(false);
  });

  it('cleans up services orphaned by a killed process on the next start', async () => {
    const dataDir = tmpDataDir();
    const port = await freePort();
    const first = start({ DATA_DIR: dataDir, PORT: String(port) });
    await ready(first);
    const pgPid = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const anvilPid = Number(readFileSync(path.join(dataDir, 'anvil', 'anvil.pid'), 'utf8'));
    first.child.kill('SIGKILL');
    await first.exit;
    const second = start({ DATA_DIR: dataDir, PORT: String(port) });
    await ready(second);
    expect(isProcessAlive(pgPid)).toBe(false);
    expect(isProcessAlive(anvilPid)).toBe(false);
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  });

  it('lets npm run migrate and npm run admin use the services of the app running on the same data dir, without stopping them', async () => {
    const dataDir = tmpDataDir();
    const port = await freePort();
    const app = start({ DATA_DIR: dataDir, PORT: String(port) });
    await ready(app);
    const pgPid = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    for (const cli of [['src/platform/db/migrate.cli.ts'], ['src/accounts/accounts.cli.ts', 'create', 'root@example.test']]) {
      const run = spawn(process.execPath, ['--import', 'tsx', ...cli], { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(run);
      const said: string[] = [];
      run.stdout!.on('data', (d) => said.push(String(d)));
      run.stderr!.on('data', (d) => said.push(String(d)));
      expect(await new Promise((resolve) => run.once('exit', resolve)), said.join('')).toBe(0);
      expect(said.join('')).not.toContain('embedded PostgreSQL started');
    }
    const anvilPid = Number(readFileSync(path.join(dataDir, 'anvil', 'anvil.pid'), 'utf8'));
    expect(isProcessAlive(pgPid)).toBe(true);
    expect(isProcessAlive(anvilPid)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
    app.child.kill('SIGINT');
    expect(await app.exit).toBe(0);
    expect(isProcessAlive(pgPid)).toBe(false);
    expect(isProcessAlive(anvilPid)).toBe(false);
  });

  it('stops with a one-line message naming a wrong setting', async () => {
    const r = start({ DATA_DIR: tmpDataDir(), PORT: 'eighty' });
    expect(await r.exit).toBe(1);
    expect(r.err.join('').trim()).toMatch(/^streakpets: Invalid setting PORT: [^\n]+$/);
  });

  it('uses DATABASE_URL, CHAIN_RPC_URL and REDIS_URL instead of embedded services; two nodes start together', async () => {
    const name = `sp_ext_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    await admin.query(`create database ${name}`);
    try {
      const shared = {
        DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${name}`,
        CHAIN_RPC_URL: inject('rpcUrl'),
        REDIS_URL: 'redis://127.0.0.1:6379',
        JWT_SECRET: 'x'.repeat(40),
        WALLET_MASTER_KEY: 'ab'.repeat(32),
      };
      const dataA = tmpDataDir();
      const [portA, portB] = [await freePort(), await freePort()];
      const a = start({ ...shared, DATA_DIR: dataA, PORT: String(portA) }, ['--role', 'api']);
      const b = start({ ...shared, DATA_DIR: tmpDataDir(), PORT: String(portB) }, ['--role=worker']);
      await Promise.all([ready(a), ready(b)]);
      expect(existsSync(path.join(dataA, 'pg'))).toBe(false);
      const readyA = await (await fetch(`http://127.0.0.1:${portA}/health/ready`)).json();
      expect(readyA.status).toBe('ready');
      expect((await fetch(`http://127.0.0.1:${portB}/health/live`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${portB}/api/v1/i18n/locales`)).status).toBe(200);
      const migrated = await admin.query(`select count(*)::int as n from pg_database where datname = $1`, [name]);
      expect(migrated.rows[0].n).toBe(1);
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      expect(await a.exit).toBe(0);
      expect(await b.exit).toBe(0);
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
