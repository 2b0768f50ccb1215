import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

describe('process exit code', () => {
  it('survives the embedded PostgreSQL package: a process that set exit code 3 ends with 3 (a failing test run must fail CI)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sp-exitcode-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/process/fixtures/exitcode.fixture.ts', dir], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
      const err: string[] = [];
      child.stderr.on('data', (d) => err.push(String(d)));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code, err.join('')).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
