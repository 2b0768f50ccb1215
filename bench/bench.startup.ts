import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort, waitFor } from '../src/platform/embedded/embedded.ports.js';

/** Milliseconds from spawning `node src/main.ts` until /health/ready answers 200, then a clean stop. */
export async function readinessMs(dataDir: string): Promise<number> {
  const root = path.resolve(import.meta.dirname, '..');
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const exited = new Promise((r) => child.once('exit', r));
  const ok = await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200, 120_000, 25);
  const ms = Math.round(performance.now() - started);
  child.kill('SIGTERM');
  await exited;
  if (!ok) throw new Error('npm start did not become ready');
  return ms;
}
