import type { Address } from 'viem';
import { tokenBalance } from '../chain/chain.deploy.js';
import type { Tx } from '../platform/db/db.transaction.js';
import { formatAmount } from './wallets.amounts.js';
import { requireChain } from './wallets.chain.js';
import type { WalletsCore } from './wallets.core.js';
import { intentsRepo } from './intents.repo.js';
import { transactionsRepo } from './transactions.repo.js';
import { walletsRepo } from './wallets.repo.js';

export interface FundsHeld {
  /** Tokens in the user's wallet and their pets' wallets together, in base units. */
  base: bigint;
  amount: string;
  symbol: string;
  /** A token transfer from or to one of them is still queued or pending. */
  inFlight: boolean;
}

/** What a user's wallets (their own and their pets') hold in tokens, read from the chain: an account holding money is not deleted. */
export async function fundsHeldBy(core: WalletsCore, userId: string): Promise<FundsHeld> {
  const wallets = await walletsRepo.listByUser(core.deps.db, userId);
  if (!wallets.length) return { base: 0n, amount: '0', symbol: '', inFlight: false };
  const chain = requireChain(core.chain);
  const balances = await Promise.all(wallets.map((w) => tokenBalance(core.deps.chain, chain.token.address, w.address as Address)));
  const base = balances.reduce((a, b) => a + b, 0n);
  const inFlight = !!(await transactionsRepo.inFlightFor(core.deps.db, wallets.map((w) => w.id)));
  return { base, amount: formatAmount(base, chain.token.decimals), symbol: chain.token.symbol, inFlight };
}

/** On account deletion: the ledger rows stay, without the memos the user wrote or the label they were asked to pay under. */
export async function eraseLedgerPersonalData(trx: Tx, userId: string): Promise<void> {
  await transactionsRepo.eraseMemosOf(trx, userId);
  await intentsRepo.eraseParty(trx, userId);
}
