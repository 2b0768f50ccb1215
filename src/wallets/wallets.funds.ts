import type { Address } from 'viem';
import { tokenBalance } from '../chain/chain.deploy.js';
import type { Tx } from '../platform/db/db.transaction.js';
import { formatAmount } from './wallets.amounts.js';
import { requireChain } from './wallets.chain.js';
import type { WalletsCore } from './wallets.core.js';
import { basenamesRepo } from './basenames.repo.js';
import { intentsRepo } from './intents.repo.js';
import { cancelIntentsOfDeletedUser } from './intents.service.js';
import { transactionsRepo } from './transactions.repo.js';
import { walletsRepo } from './wallets.repo.js';

export interface FundsHeld {
  /** Tokens in the user's wallet and their pets' wallets together, in base units. */
  base: bigint;
  amount: string;
  symbol: string;
}

/** What a user's wallets (their own and their pets') hold in tokens, read from the chain: an account holding money is not deleted. */
export async function fundsHeldBy(core: WalletsCore, userId: string): Promise<FundsHeld> {
  const wallets = await walletsRepo.listByUser(core.deps.db, userId);
  if (!wallets.length) return { base: 0n, amount: '0', symbol: '' };
  const chain = requireChain(core.chain);
  const balances = await Promise.all(wallets.map((w) => tokenBalance(core.deps.chain, chain.token.address, w.address as Address)));
  const base = balances.reduce((a, b) => a + b, 0n);
  return { base, amount: formatAmount(base, chain.token.decimals), symbol: chain.token.symbol };
}

/**
 * Inside the account deletion's transaction, so nothing can pay into the deleted account afterwards:
 * the user's open payment requests (made or to pay) are cancelled and their basenames released.
 * Answers whether a token transfer from or to their wallets is queued or pending, read after the
 * requests are locked (one funded at that moment is seen), so the caller can refuse and roll back.
 */
export async function closeForDeletion(core: WalletsCore, trx: Tx, userId: string): Promise<{ inFlight: boolean }> {
  await cancelIntentsOfDeletedUser(core, trx, userId);
  await basenamesRepo.releaseOf(trx, userId);
  const wallets = await walletsRepo.listByUser(trx, userId);
  return { inFlight: wallets.length > 0 && !!(await transactionsRepo.inFlightFor(trx, wallets.map((w) => w.id))) };
}

/** On account deletion: the ledger rows stay, without the memos the user wrote or the label they were asked to pay under. */
export async function eraseLedgerPersonalData(trx: Tx, userId: string): Promise<void> {
  await transactionsRepo.eraseMemosOf(trx, userId);
  await intentsRepo.eraseParty(trx, userId);
}
