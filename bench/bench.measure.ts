import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import pg from 'pg';
import { freePort } from '../src/platform/embedded/embedded.ports.js';

/** Linux's USER_HZ: /proc reports CPU times in these ticks. */
const CLOCK_TICKS = 100;

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** The p-th percentile (nearest rank) of values sorted ascending; 0 for none. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Runs autocannon against one URL and returns throughput and latency (ms). */
export async function load(opts: { url: string; connections?: number; durationSec?: number; headers?: Record<string, string>; method?: 'GET' | 'POST'; body?: string; overallRate?: number }): Promise<LoadResult> {
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections ?? 50,
    duration: opts.durationSec ?? 5,
    headers: opts.headers,
    method: opts.method ?? 'GET',
    body: opts.body,
    overallRate: opts.overallRate,
    // the load generator runs in its own thread, so it does not share the server's event loop
    workers: 1,
  } as autocannon.Options);
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

/** The HTTP ceiling: a bare Fastify route on this machine, measured the same way. */
export async function httpCeiling(durationSec: number): Promise<LoadResult> {
  const app = Fastify({ logger: false });
  app.get('/noop', async () => ({ ok: true }));
  const port = await freePort();
  await app.listen({ port, host: '127.0.0.1' });
  try {
    return await load({ url: `http://127.0.0.1:${port}/noop`, durationSec });
  } finally {
    await app.close();
  }
}

/** The DB ceiling: raw pg single-row INSERTs from concurrent clients, per second. */
export async function dbCeiling(connectionString: string, durationMs: number, concurrency = 8): Promise<number> {
  const pool = new pg.Pool({ connectionString, max: concurrency });
  await pool.query('create table if not exists bench_ceiling (id bigserial primary key, payload text not null, created_at timestamptz not null default now())');
  let count = 0;
  const until = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        await pool.query('insert into bench_ceiling (payload) values ($1)', ['x']);
        count++;
      }
    }),
  );
  await pool.query('drop table bench_ceiling');
  await pool.end();
  return Math.round(count / (durationMs / 1000));
}

/**
 * CPU time (ms, user and system) a process has used, from Linux /proc; 0 once it has ended. With
 * `reaped`, also that of its children that have ended (PostgreSQL's postmaster reaps every backend).
 */
export function processCpuMs(pid: number | string, reaped = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]) + (reaped ? Number(fields[13]) + Number(fields[14]) : 0);
    return ticks * (1000 / CLOCK_TICKS);
  } catch {
    return 0;
  }
}

/** CPU time (ms) of every process whose command (argv[0]) `matches` (Linux /proc), reaped children included. */
function processesCpuMs(matches: (command: string) => boolean): number {
  let ms = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (matches(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0])) ms += processCpuMs(pid, true);
    } catch {
      // the process ended between listing and reading
    }
  }
  return ms;
}

const isPostgres = (command: string) => command.startsWith('postgres') || command.endsWith('/postgres');
const isAnvil = (command: string) => command.endsWith('/anvil');

/**
 * CPU time (ms) this process, every PostgreSQL process (backends that have exited meanwhile
 * included) and every anvil have used since `cpuMeter()`.
 */
export function cpuMeter(): () => { serverMs: number; postgresMs: number; anvilMs: number } {
  const server = process.cpuUsage();
  const postgres = processesCpuMs(isPostgres);
  const anvil = processesCpuMs(isAnvil);
  return () => {
    const used = process.cpuUsage(server);
    return { serverMs: (used.user + used.system) / 1000, postgresMs: processesCpuMs(isPostgres) - postgres, anvilMs: processesCpuMs(isAnvil) - anvil };
  };
}
