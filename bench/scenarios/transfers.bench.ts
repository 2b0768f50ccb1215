import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { encodeFunctionData, parseEther, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { BenchHarness, BenchRow, BenchScenario } from '../harness.js';
import { erc20Abi } from '../../src/chain/chain.contracts.js';
import { deployTestContracts } from '../../src/chain/chain.deploy.js';
import { runMigrations } from '../../src/platform/db/db.migrate.js';
import { createDeps } from '../../src/platform/deps.js';
import { createLogger } from '../../src/platform/observability/logger.js';
import { createUser } from '../../test/helpers/factories.js';
import { cpuMeter } from '../bench.measure.js';
import { startNode, type BenchNode } from '../bench.node.js';
import { FIXED_RATE, WARMUP_SECONDS, measureTransfers, ownLoopDelay, type TransfersTarget } from './transfers.phases.js';

/**
 * Requests in flight in the closed loop, and raw sends in flight for the ceiling: each is run at
 * every level and the best rate of each is reported (transfers accepted together share transactions,
 * so the rate grows with the requests waiting until the machine is busy).
 */
const LEVELS = (process.env.BENCH_TRANSFER_CONCURRENCY ?? '32,128').split(',').map(Number);
const RAW_TRANSFERS = 300;

/** The ceiling: pre-signed ERC-20 transfers from one key straight to the node, sent as fast as it takes them, at each level. */
async function rawErc20Rates(h: BenchHarness): Promise<Array<{ concurrency: number; rate: number }>> {
  const out: Array<{ concurrency: number; rate: number }> = [];
  for (const concurrency of LEVELS) {
    // anvil now and then loses one of many out-of-order sends from a key (the rest wait behind the gap): that run is retried
    for (let attempt = 1; ; attempt++) {
      try {
        out.push({ concurrency, rate: await rawRate(h, concurrency) });
        break;
      } catch (err) {
        if (attempt === 3) throw err;
      }
    }
  }
  return out;
}

/** One run of the ceiling from a fresh key and token: RAW_TRANSFERS signed up front, sent `concurrency` at a time. */
async function rawRate(h: BenchHarness, concurrency: number): Promise<number> {
  const chain = h.deps.chain;
  const account = privateKeyToAccount(generatePrivateKey());
  await chain.setBalance(account.address, parseEther('100'));
  const { tokenAddress } = await deployTestContracts(chain, account);
  const wallet = await chain.walletClient(account);
  const mint = await wallet.writeContract({ address: tokenAddress, abi: erc20Abi, functionName: 'mint', args: [account.address, 10n ** 12n], account, chain: wallet.chain });
  await chain.publicClient.waitForTransactionReceipt({ hash: mint, pollingInterval: 20 });
  const chainId = await chain.chainId();
  const block = await chain.publicClient.getBlock();
  const maxFeePerGas = (block.baseFeePerGas ?? 1_000_000_000n) * 2n + 1_000_000_000n;
  let nonce = await chain.publicClient.getTransactionCount({ address: account.address, blockTag: 'pending' });
  const signed: Hex[] = [];
  for (let i = 0; i < RAW_TRANSFERS; i++) {
    const to = privateKeyToAccount(generatePrivateKey()).address;
    signed.push(
      await account.signTransaction({
        chainId, nonce: nonce++, type: 'eip1559', maxFeePerGas, maxPriorityFeePerGas: 1_000_000_000n, gas: 120_000n, to: tokenAddress,
        data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, 1_000n] }),
      }),
    );
  }
  const started = performance.now();
  let last: Hex = '0x';
  for (let i = 0; i < signed.length; i += concurrency) {
    const hashes = await Promise.all(signed.slice(i, i + concurrency).map((raw) => chain.publicClient.sendRawTransaction({ serializedTransaction: raw })));
    last = hashes[hashes.length - 1];
  }
  await chain.publicClient.waitForTransactionReceipt({ hash: last, pollingInterval: 10, timeout: 15_000 });
  return RAW_TRANSFERS / ((performance.now() - started) / 1000);
}

/** Every PostgreSQL process's and anvil's CPU time (ms) since the bench loaded this file. */
const servicesCpu = cpuMeter();

/**
 * The same deployment split over two processes, as DESIGN's `--role api|worker` runs it: an API
 * node and a worker node (each forked, each with its own pool) on a database of their own in the
 * bench's PostgreSQL and on the bench's anvil, so the harness's own job workers never take their jobs.
 */
async function withSplitDeployment<T>(h: BenchHarness, fn: (t: TransfersTarget) => Promise<T>): Promise<T> {
  const name = `streakpets_split_${randomBytes(4).toString('hex')}`;
  const url = new URL(h.deps.infra.databaseUrl);
  url.pathname = `/${name}`;
  const infra = { ...h.deps.infra, databaseUrl: url.toString() };
  await sql`create database ${sql.id(name)}`.execute(h.deps.db);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sp-bench-split-'));
  const env = { LOG_LEVEL: 'warn', DATA_DIR: dataDir, RATE_LIMIT_STRICT: '100000000', RATE_LIMIT_MODERATE: '100000000', RATE_LIMIT_LENIENT: '100000000' };
  const seeding = createDeps(h.deps.config, infra, createLogger('warn'));
  const nodes: BenchNode[] = [];
  try {
    await runMigrations(seeding.pool);
    nodes.push(await startNode('worker', infra, env));
    const api = await startNode('api', infra, env);
    nodes.push(api);
    return await fn({
      baseUrl: api.baseUrl!,
      db: seeding.db,
      chain: seeding.chain,
      createUser: () => createUser(seeding),
      cpuMs: () => {
        const { postgresMs, anvilMs } = servicesCpu();
        return { 'API node': api.cpuMs(), 'worker node': nodes[0].cpuMs(), PostgreSQL: postgresMs, anvil: anvilMs };
      },
    });
  } finally {
    for (const node of nodes.reverse()) await node.stop();
    await seeding.close();
    await sql`drop database if exists ${sql.id(name)} with (force)`.execute(h.deps.db);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

type Measured = Awaited<ReturnType<typeof measureTransfers>>;

/** The three rows of one deployment: accepted/s at its best level, confirmed/s against the ceiling, and the accept latency at FIXED_RATE. */
function rowsOf(label: string, m: Measured, ceiling: number): BenchRow[] {
  const { sweep, fixed } = m;
  const max = sweep.reduce((a, b) => (b.acceptedRate > a.acceptedRate ? b : a));
  const best = sweep.reduce((a, b) => (b.confirmedRate > a.confirmedRate ? b : a));
  const levels = (pick: (r: (typeof sweep)[number]) => string) => sweep.map((r) => `${r.concurrency} in flight: ${pick(r)}`).join('; ');
  const round = (v: number) => Math.round(v * 10) / 10;
  const suffix = label ? ` (${label})` : '';
  const loop = Number.isNaN(fixed.loopDelayP99) ? '' : `; server event-loop delay p99 ${round(fixed.loopDelayP99)} ms`;
  return [
    {
      scenario: 'transfers', metric: `accepted/s max${suffix}`, value: Math.round(max.acceptedRate), unit: 'req/s',
      notes: `closed loop, ${max.accepted.length + max.rejected} transfers from ${m.senders} wallets per level, best of ${levels((r) => `${Math.round(r.acceptedRate)}/s (p50 ${Math.round(r.p50)} ms, p99 ${Math.round(r.p99)} ms, ${r.rejected} rejected, CPU per transfer, accept to confirmation: ${r.cpu})`)}`,
    },
    {
      scenario: 'transfers', metric: `confirmed/s end-to-end${suffix}`, value: round(best.confirmedRate), unit: 'tx/s',
      ceiling: { name: 'raw anvil ERC-20 transfers/s', value: Math.round(ceiling) }, ratio: Math.round((best.confirmedRate / ceiling) * 100) / 100,
      target: '≥ 50% of the ceiling', met: best.confirmedRate >= ceiling * 0.5,
      notes: `closed loop, from the first request to the last confirmation, best of ${levels((r) => `${round(r.confirmedRate)}/s (${r.confirmed}/${r.accepted.length} confirmed)`)}`,
    },
    {
      scenario: 'transfers', metric: `accept latency p99 at ${FIXED_RATE}/s offered${suffix}`, value: round(fixed.p99), unit: 'ms', target: 'p99 < 50 ms', met: fixed.p99 < 50,
      notes: `open loop: one request every ${1000 / FIXED_RATE} ms, each timed from its scheduled start, after ${WARMUP_SECONDS} s of warm-up at the same rate; p50 ${round(fixed.p50)} ms; ${fixed.accepted.length} accepted, ${fixed.rejected} rejected, ${fixed.confirmed} confirmed (${round(fixed.confirmedRate)}/s); CPU per transfer: ${fixed.cpu}${loop}`,
    },
  ];
}

/**
 * Transfers through the API: accepted/s and confirmed/s end to end, against the raw ERC-20 ceiling
 * measured in the same run, for the one-process deployment (the harness's server) and for an API
 * node with a worker node.
 */
const scenario: BenchScenario = async (h) => {
  const raw = await rawErc20Rates(h);
  const ceiling = Math.max(...raw.map((r) => r.rate));
  const oneProcess = await measureTransfers(
    {
      baseUrl: h.baseUrl,
      db: h.deps.db,
      chain: h.deps.chain,
      createUser: () => h.createUser(),
      cpuMs: () => {
        const used = process.cpuUsage();
        const { postgresMs, anvilMs } = servicesCpu();
        return { server: (used.user + used.system) / 1000, PostgreSQL: postgresMs, anvil: anvilMs };
      },
      loopDelay: ownLoopDelay,
    },
    LEVELS,
  );
  const split = await withSplitDeployment(h, (t) => measureTransfers(t, LEVELS));
  return [
    { scenario: 'transfers', metric: 'raw anvil ERC-20 transfers/s (ceiling)', value: Math.round(ceiling), unit: 'tx/s', notes: `best of ${RAW_TRANSFERS} pre-signed transfers from one key at each level: ${raw.map((r) => `${r.concurrency} sends in flight: ${Math.round(r.rate)}/s`).join('; ')}` },
    ...rowsOf('', oneProcess, ceiling),
    ...rowsOf('API node + worker node', split, ceiling),
  ];
};

export default scenario;
