import { uuidv7 } from 'uuidv7';
import type { Tx } from '../platform/db/db.transaction.js';
import type { ChainContext } from './wallets.chain.js';
import type { WalletRow } from './wallets.repo.js';
import { transactionsRepo, type NewTransaction } from './transactions.repo.js';

type Grant = Pick<NewTransaction, 'type' | 'call' | 'amount' | 'token' | 'tokenAddress' | 'metadata'>;

/** Writes a queued ledger row for the treasury giving a wallet something (test USDC from the faucet, gas). */
export function insertTreasuryGrant(trx: Tx, chain: ChainContext, wallet: WalletRow, grant: Grant) {
  return transactionsRepo.insert(trx, {
    id: uuidv7(),
    status: 'queued',
    chainId: chain.chainId,
    network: chain.network,
    fromAddress: chain.treasury.address,
    toAddress: wallet.address,
    fromWalletId: chain.treasury.walletId,
    toWalletId: wallet.id,
    userId: null,
    toUserId: wallet.user_id,
    petId: wallet.pet_id,
    memo: null,
    ...grant,
  });
}
