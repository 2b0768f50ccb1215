/**
 * One StreakPets node in a process of its own, for scenarios that measure a deployment of several
 * nodes (`--role api`, `--role worker`) on the infrastructure the bench already runs: the same
 * start-up as src/main.ts from createDeps on, with the database and chain handed over instead of
 * started. startNode forks this file; the child reads what to run from BENCH_NODE.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDeps, type Infrastructure } from '../src/platform/deps.js';
import { freePort } from '../src/platform/embedded/embedded.ports.js';
import { createLogger } from '../src/platform/observability/logger.js';
import { processCpuMs } from './bench.measure.js';

type Role = 'api' | 'worker' | 'all';

interface NodeCommand {
  role: Role;
  infra: Infrastructure;
  env: Record<string, string>;
  port: number;
}

export interface BenchNode {
  role: Role;
  /** Where its API listens (null for a worker). */
  baseUrl: string | null;
  /** CPU time (ms) the process has used since it started. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Forks a node and resolves once it is ready (listening, when it serves the API). */
export async function startNode(role: Role, infra: Infrastructure, env: Record<string, string>): Promise<BenchNode> {
  const port = role === 'worker' ? 0 : await freePort();
  const command: NodeCommand = { role, infra, env, port };
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_NODE: JSON.stringify(command) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`bench ${role} node exited with ${code} before it was ready`)));
  });
  const pid = child.pid!;
  return {
    role,
    baseUrl: role === 'worker' ? null : `http://127.0.0.1:${port}`,
    cpuMs: () => processCpuMs(pid),
    async stop() {
      child.send('stop');
      await exited;
    },
  };
}

async function runNode({ role, infra, env, port }: NodeCommand): Promise<void> {
  const config = loadConfig({ ...env, ROLE: role }, []);
  const deps = createDeps(config, infra, createLogger(config.LOG_LEVEL));
  const app = await buildApp(deps, { routes: role !== 'worker' });
  await deps.jobs.start({ work: role !== 'api' });
  deps.events.start();
  if (role !== 'worker') await app.listen({ port, host: '127.0.0.1' });
  process.on('message', async () => {
    await app.close();
    await deps.close();
    process.exit(0);
  });
  process.on('disconnect', () => process.exit(0));
  process.send!('ready');
}

if (process.env.BENCH_NODE) {
  runNode(JSON.parse(process.env.BENCH_NODE) as NodeCommand).catch((err) => {
    process.stderr.write(`bench node failed: ${(err as Error).stack}\n`);
    process.exit(1);
  });
}
