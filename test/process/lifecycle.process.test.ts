import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/platform/embedded/embedded.ports.js';
import { logLines, printed, startProcess, type Running } from '../helpers/appProcess.js';
import { tmpFolder } from '../helpers/tmpDir.js';

const dirs: string[] = [];
const started: Running[] = [];

afterAll(async () => {
  for (const r of started) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmpDataDir(): string {
  const d = tmpFolder('sp-life-');
  dirs.push(d);
  return path.join(d, 'data');
}

function start(env: Record<string, string>): Running {
  const r = startProcess(env);
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
