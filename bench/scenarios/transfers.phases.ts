import { fork } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { type Address } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { ChainHandle } from '../../src/chain/chain.client.js';
import type { Database } from '../../src/platform/db/db.pool.js';
import { waitFor } from '../../src/platform/embedded/embedded.ports.js';
import { percentile } from '../bench.measure.js';
import type { TransfersLoadCommand, TransfersLoadResult } from './transfers.load.js';

const SENDERS = 60;
/**
 * Transfers per sender in each closed-loop level: 2,400 in all, so the rate is the pipeline's
 * sustained one (at 1,200 the last transfers' accept-to-confirmation time was a fifth of the run).
 */
const PER_SENDER = 40;
/** The open-loop phase: transfers offered at a fixed rate, below this machine's capacity, for the accept latency. */
export const FIXED_RATE = 100;
const FIXED_SECONDS = 10;
/** Seconds at the fixed rate before the open-loop phase is counted (as the chat bench does). */
export const WARMUP_SECONDS = 2;

/** A running deployment to send transfers to, and how to read what it did. */
export interface TransfersTarget {
  baseUrl: string;
  /** The deployment's database, for seeding and for watching rows confirm. */
  db: Database;
  chain: ChainHandle;
  createUser(): Promise<{ id: string; auth: Record<string, string> }>;
  /** CPU time (ms) used so far, per process (or group of processes) of the deployment, PostgreSQL and anvil included. */
  cpuMs(): Record<string, number>;
  /** Event-loop delay p99 (ms) of the API's process while fn ran, when this process serves the API. */
  loopDelay?<T>(fn: () => Promise<T>): Promise<{ value: T; p99: number }>;
}

export type PhaseResult = Awaited<ReturnType<typeof runPhase>>;

/** Event-loop delay of this process while fn runs (the harness serves the API in-process). */
export async function ownLoopDelay<T>(fn: () => Promise<T>): Promise<{ value: T; p99: number }> {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  try {
    return { value: await fn(), p99: delay.percentile(99) / 1e6 };
  } finally {
    delay.disable();
  }
}

/**
 * One phase in the load process: answers its latencies and rates, and the deployment's CPU per
 * transfer from the first request to the last confirmation.
 */
async function runPhase(t: TransfersTarget, to: Address, walletIds: string[], transfers: Array<{ auth: Record<string, string>; key: string }>, concurrency: number, rate?: number, warmup?: number) {
  const cpuBefore = t.cpuMs();
  const measured = await (t.loopDelay ?? (async (fn) => ({ value: await fn(), p99: NaN })))(async () => {
    // the requests go out from another process, so the load generator does not share the server's thread
    const child = fork(fileURLToPath(new URL('./transfers.load.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const load = await new Promise<TransfersLoadResult>((resolve, reject) => {
      child.once('message', (result) => resolve(result as TransfersLoadResult));
      child.once('exit', (code) => reject(new Error(`transfers load generator exited with ${code}`)));
      const command: TransfersLoadCommand = { baseUrl: t.baseUrl, transfers, to, amount: '0.01', concurrency, rate, warmup };
      child.send(command);
    });
    // the phase began load.seconds before its result arrived (the child's start-up is not counted)
    const started = performance.now() - load.seconds * 1000;
    // the senders' open rows, read through the ledger's partial index of open rows: the harness may
    // share the server's process and its database, so its polling touches only what is still open
    // (looking up every accepted id cost the database 8 ms a poll at 2,400 transfers)
    await waitFor(async () => {
      const { rows } = await sql<{ open: number }>`select count(*)::int as open from transactions
        where from_wallet_id = any(${walletIds}::uuid[]) and status in ('queued', 'pending')`.execute(t.db);
      return rows[0].open === 0;
    }, 120_000);
    return { load, confirmSeconds: (performance.now() - started) / 1000 };
  });
  const { load, confirmSeconds } = measured.value;
  const cpuAfter = t.cpuMs();
  // the warm-up's transfers ran in the same process time
  const transfersRun = Math.max(1, load.accepted.length + (warmup ?? 0));
  const cpu = Object.entries(cpuAfter).map(([name, ms]) => `${name} ${((ms - cpuBefore[name]) / transfersRun).toFixed(1)} ms`).join(' + ');
  const confirmed = (await t.db.selectFrom('transactions').select('id').where('id', 'in', load.accepted).where('status', '=', 'confirmed').execute()).length;
  const sorted = [...load.latencies].sort((a, b) => a - b);
  return {
    ...load,
    confirmed,
    acceptedRate: load.accepted.length / load.seconds,
    confirmedRate: confirmed / confirmSeconds,
    cpu,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    loopDelayP99: measured.p99,
  };
}

/**
 * Funds SENDERS users from the faucet, then runs the closed loop at every level (transfers
 * interleaved across users, as real traffic is) and the open loop at FIXED_RATE.
 */
export async function measureTransfers(t: TransfersTarget, levels: number[]) {
  const post = (path: string, auth: Record<string, string>, body: unknown) =>
    fetch(`${t.baseUrl}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(body) });
  const senders = await Promise.all(Array.from({ length: SENDERS }, () => t.createUser()));
  const funding = await Promise.all(senders.map(async (u) => (await (await post('/wallets/faucet', u.auth, { amount: '100' })).json()) as { id: string }));
  const fundIds = funding.map((f) => f.id).filter(Boolean);
  await waitFor(async () => {
    const rows = await t.db.selectFrom('transactions').select('status').where('id', 'in', fundIds).execute();
    return rows.every((r) => r.status === 'confirmed');
  }, 60_000);
  // a new wallet's gas comes from a job: wait for it, or the first level's transfers wait for it instead
  const wallets = await t.db.selectFrom('wallets').select(['id', 'address']).where('user_id', 'in', senders.map((u) => u.id)).execute();
  const walletIds = wallets.map((w) => w.id);
  await waitFor(async () => (await Promise.all(wallets.map((w) => t.chain.publicClient.getBalance({ address: w.address as Address })))).every((b) => b > 0n), 60_000);
  const to = privateKeyToAccount(generatePrivateKey()).address as Address;

  const batchOf = (perSender: number, tag: string) =>
    Array.from({ length: perSender }, (_, j) => senders.map((u, i) => ({ auth: u.auth, key: `bench-${tag}-${i}-${j}-${Date.now()}` }))).flat();
  const sweep: Array<PhaseResult & { concurrency: number }> = [];
  for (const concurrency of levels) sweep.push({ concurrency, ...(await runPhase(t, to, walletIds, batchOf(PER_SENDER, `max${concurrency}`), concurrency)) });
  const fixed = await runPhase(t, to, walletIds, batchOf(Math.ceil((FIXED_RATE * (WARMUP_SECONDS + FIXED_SECONDS)) / SENDERS), 'fixed'), levels[0], FIXED_RATE, FIXED_RATE * WARMUP_SECONDS);
  return { sweep, fixed, senders: SENDERS };
}
