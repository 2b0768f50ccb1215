import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tmpFolder } from '../../../test/helpers/tmpDir.js';
import { loadOrCreateSecrets } from './embedded.secrets.js';

const root = path.resolve(import.meta.dirname, '../../..');
const dir = tmpFolder('sp-secrets-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function racer(startAt: number, dirs: string[]): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/process/fixtures/secrets.fixture.ts', String(startAt), ...dirs], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const out: string[] = [];
  child.stdout.on('data', (d) => out.push(String(d)));
  return new Promise((resolve) => child.once('exit', () => resolve(out.join('').trim().split('\n'))));
}

describe('embedded secrets', () => {
  it('gives processes that create them at the same moment the same secrets, the ones in the file', async () => {
    const dirs = Array.from({ length: 10 }, (_, i) => path.join(dir, `race-${i}`));
    const startAt = Date.now() + 3000;
    const seen = await Promise.all([0, 1, 2, 3].map(() => racer(startAt, dirs)));
    for (const [i, d] of dirs.entries()) {
      const inFile = JSON.stringify(JSON.parse(readFileSync(path.join(d, 'secrets.json'), 'utf8')));
      expect(seen.map((lines) => lines[i])).toEqual([inFile, inFile, inFile, inFile]);
      expect(statSync(path.join(d, 'secrets.json')).mode & 0o777).toBe(0o600);
      expect(readdirSync(d)).toEqual(['secrets.json']);
    }
  }, 30_000);

  it('completes a file that lacks a secret, keeping the others', () => {
    const d = path.join(dir, 'old');
    loadOrCreateSecrets(d);
    const file = path.join(d, 'secrets.json');
    const { pgPassword, jwtSecret } = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ pgPassword, jwtSecret }));
    const completed = loadOrCreateSecrets(d);
    expect(completed).toMatchObject({ pgPassword, jwtSecret });
    expect(completed.walletMasterKey).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(completed);
  });

  it('refuses a damaged file with a message saying what to do, instead of replacing the wallet key', () => {
    const d = path.join(dir, 'damaged');
    loadOrCreateSecrets(d);
    const file = path.join(d, 'secrets.json');
    writeFileSync(file, '{"pgPassword": "ab');
    expect(() => loadOrCreateSecrets(d)).toThrow(`${file} is not valid JSON; restore it from a backup (it holds the key of every wallet)`);
    expect(readFileSync(file, 'utf8')).toBe('{"pgPassword": "ab');
  });
});
