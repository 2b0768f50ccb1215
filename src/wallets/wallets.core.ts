import type { AppDeps } from '../platform/deps.js';
import type { Tx } from '../platform/db/db.transaction.js';
import type { ChainContext } from './wallets.chain.js';
import type { KeyVault } from './wallets.crypto.js';
import type { TransactionRow } from './transactions.repo.js';

/** Runs on the transaction that finalizes a ledger row (basenames and intents follow their payments). */
export type FinalizeHook = (trx: Tx, row: TransactionRow) => Promise<void>;

/**
 * Drives the transfer pipeline inside this process (transfers.driver.ts). It is active only while
 * this node runs job workers; the pg-boss jobs stay the durable fallback either way.
 */
export interface PipelineDriver {
  readonly active: boolean;
  /** Signs and sends the wallet's queued rows soon (runs per wallet are serialized and coalesced); settles when a run that started after this call ends. */
  broadcast(walletId: string): Promise<void>;
  /** Makes the confirmation watcher look at the chain now and keep looking while rows are pending. */
  watch(): void;
}

/** What every wallets-domain function shares: dependencies, the key vault and the resolved chain. */
export interface WalletsCore {
  deps: AppDeps;
  vault: KeyVault;
  /** The resolved chain; null when an external chain lacks the settings for money, undefined while it cannot be reached yet. */
  chain: ChainContext | null | undefined;
  finalizeHooks: FinalizeHook[];
  driver: PipelineDriver;
}

/** Per-node state kept beside a core (caches, batchers), made on first use: `perCore(map, core, make)`. */
export function perCore<T>(map: WeakMap<WalletsCore, T>, core: WalletsCore, make: () => T): T {
  let value = map.get(core);
  if (value === undefined) map.set(core, (value = make()));
  return value;
}

/**
 * The LISTEN/NOTIFY channel on which a node without job workers (--role api) wakes the worker nodes'
 * drivers for the wallets whose transfers it just queued (the items are wallet ids).
 */
export const BROADCAST_CHANNEL = 'streakpets_broadcast';

export const JOBS = {
  broadcast: 'wallets.broadcast',
  confirm: 'wallets.confirm',
  gasTopUp: 'wallets.gas-topup',
  reconcile: 'wallets.reconcile',
  expireIntents: 'wallets.expire-intents',
  pruneSpend: 'wallets.prune-spend',
} as const;
