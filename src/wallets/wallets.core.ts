import type { AppDeps } from '../platform/deps.js';
import type { Tx } from '../platform/db/db.transaction.js';
import type { ChainContext } from './wallets.chain.js';
import type { KeyVault } from './wallets.crypto.js';
import type { TransactionRow } from './transactions.repo.js';

/** Runs on the transaction that finalizes a ledger row (basenames and intents follow their payments). */
export type FinalizeHook = (trx: Tx, row: TransactionRow) => Promise<void>;

/** What every wallets-domain function shares: dependencies, the key vault and the resolved chain. */
export interface WalletsCore {
  deps: AppDeps;
  vault: KeyVault;
  chain: ChainContext | null;
  finalizeHooks: FinalizeHook[];
}

export const JOBS = {
  broadcast: 'wallets.broadcast',
  confirm: 'wallets.confirm',
  gasTopUp: 'wallets.gas-topup',
  reconcile: 'wallets.reconcile',
  expireIntents: 'wallets.expire-intents',
} as const;
