import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Logger } from 'pino';
import { anvilOutputFilter } from './embedded.anvil.output.js';
import { otherLiveOwner, removeOwner, thisProcess, waitUntilReleased, writeOwner, type EmbeddedServiceOptions } from './embedded.owner.js';
import { freePort, isProcessAlive, stopChild, waitFor } from './embedded.ports.js';

export interface AnvilHandle {
  url: string;
  port: number;
  chainId: number;
  /** True when another StreakPets process owns the chain and this one only uses it. */
  attached: boolean;
  stop(): Promise<void>;
}

export const ANVIL_CHAIN_ID = 31337;

/**
 * anvil 1.7.1 (the newest on npm) grows its work per mined block with the chain: it rebuilds the
 * state tries for every block, and at its default hardfork (Prague) every block also adds a slot to
 * the EIP-2935 block-hash contract, while each historical state it keeps is a full copy, spilled to
 * disk as it ages (foundry-rs/foundry#15715 fixed both after 1.7.1). Measured here with transfers to
 * one address: 0.9 ms of anvil CPU a transfer at block 500 and 2.0 ms at block 1,800 by default;
 * about 0.5 ms throughout on Cancun with 64 recent states kept. Nothing of ours needs Prague (the
 * contracts are compiled for Cancun) or state older than a few blocks (chain snapshots are read at
 * the block just asked for); blocks, receipts and the state file are kept as before, and a state
 * file written at the default hardfork loads as it is.
 */
const STEADY_MINING = ['--hardfork', 'cancun', '--prune-history', '64'];

/** Path of the anvil binary shipped in @foundry-rs/anvil's per-platform package. */
export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const platform = `${process.platform === 'win32' ? 'win32' : process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`;
  const pkg = require.resolve(`@foundry-rs/anvil-${platform}/package.json`);
  return path.join(path.dirname(pkg), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
}

/** In the state dir: the StreakPets process that started anvil (and will stop it) and anvil's port. */
const OWNER_FILE = 'anvil.owner';

/**
 * The chain as another live StreakPets process serves it from this state dir (the app, while a
 * command runs on the same DATA_DIR): used where it is, once it answers, and never stopped from here;
 * null when nobody else owns it.
 */
async function runningAnvil(stateDir: string, logger: Logger): Promise<AnvilHandle | null> {
  const ownerFile = path.join(stateDir, OWNER_FILE);
  const owner = otherLiveOwner(ownerFile);
  if (!owner?.port) return null;
  const { port } = owner;
  const url = `http://127.0.0.1:${port}`;
  const up = await waitFor(async () => !otherLiveOwner(ownerFile) || (await rpcAnswers(url)), 20_000, 100);
  if (!up || !otherLiveOwner(ownerFile)) return null;
  logger.info({ owner: owner.pid, port }, 'using the embedded anvil of the StreakPets process running on this data dir');
  return { url, port, chainId: ANVIL_CHAIN_ID, attached: true, async stop() {} };
}

async function rpcAnswers(url: string): Promise<boolean> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
  });
  return res.ok;
}

/**
 * Starts a real local EVM node (anvil) on a free port. With a state dir, the chain is
 * dumped there on exit and loaded on the next start, so deployed contracts and balances persist.
 */
export async function startAnvil(logger: Logger, stateDir?: string, { attach = true, signal }: EmbeddedServiceOptions = {}): Promise<AnvilHandle> {
  if (stateDir && attach) {
    const running = await runningAnvil(stateDir, logger);
    if (running) return running;
  } else if (stateDir) {
    await waitUntilReleased(path.join(stateDir, OWNER_FILE), 'anvil', logger, signal);
  }
  const port = await freePort();
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(ANVIL_CHAIN_ID), '--accounts', '20', ...STEADY_MINING];
  let pidFile: string | null = null;
  if (stateDir) {
    mkdirSync(stateDir, { recursive: true });
    pidFile = path.join(stateDir, 'anvil.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      if (pid > 0 && isProcessAlive(pid)) {
        logger.warn({ orphanPid: pid }, 'stopping an orphaned anvil from a previous run');
        process.kill(pid, 'SIGINT');
        await waitFor(async () => !isProcessAlive(pid), 10_000, 100);
      }
    }
    // the state file holds every block and receipt, and anvil rewrites it every 10 s while answering
    // nothing (15 MB and an 80 ms pause at 6,000 transfers; see docs/operations.md). Its
    // --transaction-block-keeper would halve that, but a transfer whose receipt was dropped before the
    // confirmation job read it (500 blocks pass in seconds under load) would be failed as nonce_consumed
    args.push('--state', path.join(stateDir, 'state.json'), '--state-interval', '10');
  }
  const child: ChildProcess = spawn(anvilBinary(), args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = anvilOutputFilter();
  child.stdout?.on('data', (d) => {
    for (const line of output(String(d))) logger.trace({ anvil: line }, 'anvil');
  });
  child.stderr?.on('data', (d) => logger.debug({ anvil: String(d).trim() }, 'anvil'));
  if (pidFile && child.pid) writeFileSync(pidFile, String(child.pid));
  const ownerFile = stateDir ? path.join(stateDir, OWNER_FILE) : null;
  // owned from now on: a command starting meanwhile waits for it instead of stopping it as an orphan
  if (ownerFile) writeOwner(ownerFile, thisProcess({ port }));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (ownerFile) removeOwner(ownerFile);
    await stopChild(child, exited, 5000);
    if (pidFile) rmSync(pidFile, { force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const up = await waitFor(async () => Boolean(signal?.aborted) || (await rpcAnswers(url)), 20_000);
  if (signal?.aborted) {
    await stop();
    signal.throwIfAborted();
  }
  if (!up) {
    await stop();
    throw new Error('anvil did not start within 20 s');
  }
  return { url, port, chainId: ANVIL_CHAIN_ID, attached: false, stop };
}
