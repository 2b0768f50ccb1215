import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpFolder } from '../helpers/tmpDir.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('process exit code', () => {
  it('survives the embedded PostgreSQL package: a process that set exit code 3 ends with 3 (a failing test run must fail CI)', async () => {
    const dir = tmpFolder('sp-exitcode-');
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
