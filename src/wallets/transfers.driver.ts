import type { AppDeps } from '../platform/deps.js';
import type { PipelineDriver, WalletsCore } from './wallets.core.js';
import { broadcastWallets } from './transfers.broadcast.js';
import { confirmPending } from './transfers.confirm.js';

/** Broadcast steps running at once (each holds a database connection while it commits). */
const STEPS_IN_FLIGHT = 2;
/** Wallets one step signs and sends together (their rows share the step's queries, transaction and RPC batch). */
const WALLETS_PER_STEP = 50;
/** How often the watcher asks the node for a new block: the embedded chain mines each transaction at once. */
const EMBEDDED_POLL_MS = 100;
const REMOTE_POLL_MS = 1000;
/** Passes in a row that found no pending row before the watcher goes to sleep until woken again. */
const IDLE_PASSES = 3;

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

interface WalletRun {
  dirty: boolean;
  running: boolean;
  waiters: Waiter[];
}

/**
 * The transfer pipeline inside a worker process. Broadcasting: woken wallets wait in line and are
 * signed and sent together, up to WALLETS_PER_STEP per step; a wallet is in at most one running
 * step in this process; wakes during a step coalesce into one more turn, and a wallet with more
 * than a batch waiting goes to the back of the line. Confirmation: one
 * watcher polls the chain's block number while rows are pending and, on every new block (or
 * when woken after a send), confirms the pending rows of all wallets at once (confirmPending).
 */
export class TransferDriver implements PipelineDriver {
  private readonly runs = new Map<string, WalletRun>();
  private readonly line: string[] = [];
  private busy = 0;
  private watching = false;
  private woken = false;

  constructor(
    private readonly deps: AppDeps,
    private readonly core: () => WalletsCore,
  ) {}

  get active(): boolean {
    return this.deps.jobs.isWorking;
  }

  broadcast(walletId: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let run = this.runs.get(walletId);
      if (!run) this.runs.set(walletId, (run = { dirty: false, running: false, waiters: [] }));
      run.waiters.push({ resolve, reject });
      if (!run.dirty && !run.running) this.enter(walletId);
      run.dirty = true;
      this.next();
    });
  }

  /** Joins the line; the treasury goes first, since every new wallet's gas and faucet money come from it. */
  private enter(walletId: string): void {
    if (walletId === this.core().chain?.treasury.walletId) this.line.unshift(walletId);
    else this.line.push(walletId);
  }

  private next(): void {
    while (this.busy < STEPS_IN_FLIGHT && this.line.length) {
      const walletIds = this.line.splice(0, WALLETS_PER_STEP);
      const waiters: Waiter[] = [];
      for (const walletId of walletIds) {
        const run = this.runs.get(walletId)!;
        run.dirty = false;
        run.running = true;
        waiters.push(...run.waiters.splice(0));
      }
      this.busy++;
      void this.step(walletIds, waiters).finally(() => {
        this.busy--;
        this.next();
      });
    }
  }

  private async step(walletIds: string[], waiters: Waiter[]): Promise<void> {
    let more = new Set<string>();
    try {
      if (!this.active) throw new Error('the job workers of this process are stopped');
      more = await broadcastWallets(this.core(), walletIds);
      for (const w of waiters) w.resolve();
    } catch (err) {
      this.deps.logger.warn({ wallets: walletIds.length, reason: String((err as Error)?.message ?? err).split('\n')[0] }, 'broadcast failed; its job retries it');
      for (const w of waiters) w.reject(err);
    }
    for (const walletId of walletIds) {
      const run = this.runs.get(walletId)!;
      run.running = false;
      if ((more.has(walletId) || run.dirty) && this.active) {
        run.dirty = true;
        this.enter(walletId);
      } else if (!run.dirty) {
        this.runs.delete(walletId);
      } else {
        for (const w of run.waiters.splice(0)) w.reject(new Error('the job workers of this process are stopped'));
        this.runs.delete(walletId);
      }
    }
  }

  watch(): void {
    this.woken = true;
    if (this.watching || !this.active) return;
    this.watching = true;
    void this.loop().finally(() => {
      this.watching = false;
      if (this.woken && this.active) this.watch();
    });
  }

  private async loop(): Promise<void> {
    const interval = this.deps.chain.embedded ? EMBEDDED_POLL_MS : REMOTE_POLL_MS;
    let lastBlock = -1n;
    let waiting = 0;
    let idle = 0;
    while (this.active && idle < IDLE_PASSES) {
      try {
        const block = await this.deps.chain.batchClient.getBlockNumber({ cacheTime: 0 });
        if (block !== lastBlock || this.woken) {
          this.woken = false;
          lastBlock = block;
          const pass = await confirmPending(this.core());
          waiting = pass.waiting;
          if (pass.finalized.length) {
            idle = 0;
            continue;
          }
        }
        idle = waiting ? 0 : idle + 1;
      } catch (err) {
        if (!this.active) return;
        idle++;
        this.deps.logger.warn({ reason: String((err as Error)?.message ?? err).split('\n')[0] }, 'confirmation watcher pass failed; it tries again');
      }
      await new Promise((r) => setTimeout(r, interval));
    }
  }
}
