import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitFor } from '../../src/platform/embedded/embedded.ports.js';

export const root = path.resolve(import.meta.dirname, '../..');

/** A StreakPets process started by a test, with what it printed so far and its exit code to come. */
export interface Running {
  child: ChildProcess;
  port: number;
  out: string[];
  err: string[];
  exit: Promise<number | null>;
}

/** Starts `node --import tsx <script>` (the app by default) in the repository with only the given environment. */
export function startProcess(env: Record<string, string>, args: string[] = [], script = 'src/main.ts'): Running {
  const out: string[] = [];
  const err: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => out.push(String(d)));
  child.stderr!.on('data', (d) => err.push(String(d)));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, port: Number(env.PORT), out, err, exit };
}

/** Waits until the process has printed text (true), or exited or timed out first (false). */
export function printed(r: Running, text: string, timeoutMs = 60_000): Promise<boolean> {
  return waitFor(async () => r.out.join('').includes(text) || r.child.exitCode !== null, timeoutMs, 50).then(() => r.out.join('').includes(text));
}

/** The JSON log lines the process wrote to stdout. */
export function logLines(r: Running): Array<Record<string, unknown>> {
  return r.out.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}
