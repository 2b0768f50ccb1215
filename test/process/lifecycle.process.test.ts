import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, isProcessAlive, waitFor } from '../../src/platform/embedded/embedded.ports.js';
import { logLines, printed, startProcess, type Running } from '../helpers/appProcess.js';
import { tmpFolder } from '../helpers/tmpDir.js';

const dirs: string[] = [];
const started: Running[] = [];

afterAll(async () => {
  // a graceful stop first: a process killed hard would leave its embedded services behind
  for (const r of started) if (r.child.exitCode === null) r.child.kill('SIGTERM');
  await Promise.race([Promise.all(started.map((r) => r.exit)), new Promise((resolve) => setTimeout(resolve, 20_000))]);
  for (const r of started) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmpDataDir(): string {
  const d = tmpFolder('sp-life-');
  dirs.push(d);
  return path.join(d, 'data');
}

/** The command lines of the processes still running from this data dir (PostgreSQL, anvil). */
function runningFrom(dataDir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', dataDir]).toString().trim().split('\n');
  } catch {
    return [];
  }
}

function start(env: Record<string, string>, script?: string): Running {
  const r = startProcess(env, [], script);
  started.push(r);
  return r;
}

describe('the app process starting and stopping', { timeout: 120_000 }, () => {
  it('ends a failed start with one start-up failed log line and exit code 1, no stack on stderr', async () => {
    const dataDir = tmpDataDir();
    mkdirSync(path.dirname(dataDir), { recursive: true });
    writeFileSync(dataDir, 'not a folder');
    const r = start({ DATA_DIR: path.join(dataDir, 'inside'), PORT: String(await freePort()) });
    expect(await r.exit).toBe(1);
    expect(r.err.join('')).toBe('');
    expect(logLines(r).map((l) => l.msg)).toEqual(['start-up failed']);
  });

  it('stops with one line when DATA_DIR/secrets.json is damaged, keeping the file', async () => {
    const dataDir = tmpDataDir();
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path.join(dataDir, 'secrets.json'), '{"pgPass');
    const r = start({ DATA_DIR: dataDir, PORT: String(await freePort()) });
    expect(await r.exit).toBe(1);
    expect(r.err.join('')).toBe(`streakpets: ${path.join(dataDir, 'secrets.json')} is not valid JSON; restore it from a backup (it holds the key of every wallet)\n`);
    expect(r.out.join('')).toBe('');
  });
});

describe('the ready line', { timeout: 120_000 }, () => {
  it('gives the URL the server listens at, with the port it got when PORT is 0', async () => {
    const r = start({ DATA_DIR: tmpDataDir(), PORT: '0', HOST: '127.0.0.1' });
    expect(await printed(r, 'StreakPets is ready')).toBe(true);
    const url = String(logLines(r).find((l) => l.msg === 'StreakPets is ready')?.url);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toBe('http://127.0.0.1:0');
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
  });
});

describe('a shutdown that times out', { timeout: 120_000 }, () => {
  it('still stops the embedded services before it exits', async () => {
    const dataDir = tmpDataDir();
    const port = await freePort();
    const r = start({ DATA_DIR: dataDir, PORT: String(port), SHUTDOWN_TIMEOUT_MS: '1000' });
    expect(await printed(r, 'StreakPets is ready')).toBe(true);
    // a request whose body never finishes keeps the server from closing
    const hung = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => hung.once('connect', resolve));
    hung.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email"');
    await new Promise((resolve) => setTimeout(resolve, 200));
    r.child.kill('SIGINT');
    expect(await r.exit).toBe(1);
    hung.destroy();
    expect(logLines(r).map((l) => l.msg)).toContain('shutdown timed out; stopping the embedded services and exiting');
    expect(runningFrom(dataDir)).toEqual([]);
    expect(existsSync(path.join(dataDir, 'pg.owner'))).toBe(false);
  });
});

describe('a port already in use', { timeout: 60_000 }, () => {
  it('stops start-up with one line naming PORT, before starting any embedded service', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      const dataDir = tmpDataDir();
      const r = start({ DATA_DIR: dataDir, PORT: String(port) });
      expect(await r.exit).toBe(1);
      expect(r.err.join('')).toBe(`streakpets: port ${port} on 0.0.0.0 is already in use (PORT)\n`);
      expect(r.out.join('')).toBe('');
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      taken.close();
    }
  });
});

describe('one server per DATA_DIR', { timeout: 120_000 }, () => {
  it('refuses a second server on the DATA_DIR of a running one with one line, touching nothing', async () => {
    const dataDir = tmpDataDir();
    const first = start({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
    expect(await printed(first, 'StreakPets is ready')).toBe(true);
    const url = String(logLines(first).find((l) => l.msg === 'StreakPets is ready')?.url);
    const pgPid = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const anvilPid = Number(readFileSync(path.join(dataDir, 'anvil', 'anvil.pid'), 'utf8'));

    const second = start({ DATA_DIR: dataDir, PORT: '0' });
    expect(await second.exit).toBe(1);
    expect(second.err.join('')).toBe(
      `streakpets: DATA_DIR ${realpathSync(dataDir)} is in use by another StreakPets server (pid ${first.child.pid}); stop it or use another DATA_DIR\n`,
    );
    expect(second.out.join('')).toBe('');
    expect(isProcessAlive(pgPid) && isProcessAlive(anvilPid)).toBe(true);
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);

    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(isProcessAlive(pgPid) || isProcessAlive(anvilPid)).toBe(false);
    expect(existsSync(path.join(dataDir, 'server.owner'))).toBe(false);
  });

  it('waits for a command holding the embedded PostgreSQL to finish, then starts its own', async () => {
    const dataDir = tmpDataDir();
    const command = start({ DATA_DIR: dataDir }, 'test/process/fixtures/command.fixture.ts');
    expect(await printed(command, 'holding')).toBe(true);
    const commandPg = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);

    const app = start({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
    expect(await printed(app, 'waiting for the StreakPets command using the embedded PostgreSQL')).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    expect(app.out.join('')).not.toContain('StreakPets is ready');
    command.child.kill('SIGTERM');
    expect(await command.exit).toBe(0);

    expect(await printed(app, 'StreakPets is ready')).toBe(true);
    expect(isProcessAlive(commandPg)).toBe(false);
    expect(logLines(app).map((l) => l.msg)).toContain('embedded PostgreSQL started');
    const url = String(logLines(app).find((l) => l.msg === 'StreakPets is ready')?.url);
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    app.child.kill('SIGTERM');
    expect(await app.exit).toBe(0);
  });
});

describe('commands sharing an embedded PostgreSQL', { timeout: 120_000 }, () => {
  it('the first to finish leaves the embedded PostgreSQL to the other, which stops it when it finishes', async () => {
    const dataDir = tmpDataDir();
    const first = start({ DATA_DIR: dataDir }, 'test/process/fixtures/command.fixture.ts');
    expect(await printed(first, 'holding')).toBe(true);
    const pgPid = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const second = start({ DATA_DIR: dataDir }, 'test/process/fixtures/command.fixture.ts');
    expect(await printed(second, 'holding')).toBe(true);

    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(isProcessAlive(pgPid)).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dataDir, 'pg.owner'), 'utf8')).pid).toBe(second.child.pid);

    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
    expect(isProcessAlive(pgPid)).toBe(false);
    expect(existsSync(path.join(dataDir, 'pg.owner'))).toBe(false);
    expect(runningFrom(dataDir)).toEqual([]);
  });

  it('a server stopping while a command uses its PostgreSQL leaves it to the command, which stops it when it finishes', async () => {
    const dataDir = tmpDataDir();
    const app = start({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
    expect(await printed(app, 'StreakPets is ready')).toBe(true);
    const pgPid = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const command = start({ DATA_DIR: dataDir }, 'test/process/fixtures/command.fixture.ts');
    expect(await printed(command, 'holding')).toBe(true);

    app.child.kill('SIGTERM');
    expect(await app.exit).toBe(0);
    expect(logLines(app).map((l) => l.msg)).toContain('leaving the embedded PostgreSQL running for the StreakPets command still using it');
    expect(isProcessAlive(pgPid)).toBe(true);

    command.child.kill('SIGTERM');
    expect(await command.exit).toBe(0);
    expect(isProcessAlive(pgPid)).toBe(false);
    expect(runningFrom(dataDir)).toEqual([]);
  });
});

describe('a signal during start-up', { timeout: 120_000 }, () => {
  it('stops the embedded services the app had started and exits, leaving no owner files', async () => {
    const dataDir = tmpDataDir();
    const r = start({ DATA_DIR: dataDir, PORT: '0' });
    expect(await printed(r, 'embedded PostgreSQL started')).toBe(true);
    r.child.kill('SIGINT');
    expect(await r.exit).toBe(0);
    expect(logLines(r).map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
    expect(r.out.join('')).not.toContain('StreakPets is ready');
    expect(runningFrom(dataDir)).toEqual([]);
    for (const file of ['pg.owner', 'anvil/anvil.pid', 'anvil/anvil.owner', 'server.owner']) expect(existsSync(path.join(dataDir, file)), file).toBe(false);
  });

  it('stops the embedded PostgreSQL npm run migrate had started and exits with 130', async () => {
    const dataDir = tmpDataDir();
    const r = start({ DATA_DIR: dataDir }, 'src/platform/db/migrate.cli.ts');
    expect(await waitFor(async () => existsSync(path.join(dataDir, 'pg.owner')) || r.child.exitCode !== null, 60_000, 10)).toBe(true);
    r.child.kill('SIGINT');
    expect(await r.exit).toBe(130);
    expect(r.err.join('')).toBe('streakpets: interrupted\n');
    expect(runningFrom(dataDir)).toEqual([]);
    expect(existsSync(path.join(dataDir, 'pg.owner'))).toBe(false);
  });
});
