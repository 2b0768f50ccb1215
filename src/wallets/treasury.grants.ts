import { uuidv7 } from 'uuidv7';
import { zeroAddress } from 'viem';
import type { Tx } from '../platform/db/db.transaction.js';
import type { ChainContext } from './wallets.chain.js';
import type { WalletRow } from './wallets.repo.js';
import { transactionsRepo, type NewTransaction } from './transactions.repo.js';

type Grant = Pick<NewTransaction, 'type' | 'call' | 'amount' | 'token' | 'tokenAddress' | 'metadata'>;

/**
 * Writes a queued ledger row for the treasury giving a wallet something (test USDC from the faucet, gas).
 * A mint is recorded as the chain shows it, a Transfer from the zero address (the treasury, which
 * signs it, is named in metadata as its minter), so the treasury's ledger never counts as sent what
 * it never held.
 */
export function insertTreasuryGrant(trx: Tx, chain: ChainContext, wallet: WalletRow, grant: Grant) {
  const mint = grant.call === 'mint';
  return transactionsRepo.insert(trx, {
    id: uuidv7(),
    status: 'queued',
    chainId: chain.chainId,
    network: chain.network,
    fromAddress: mint ? zeroAddress : chain.treasury.address,
    toAddress: wallet.address,
    fromWalletId: chain.treasury.walletId,
    toWalletId: wallet.id,
    userId: null,
    toUserId: wallet.user_id,
    petId: wallet.pet_id,
    memo: null,
    ...grant,
    metadata: mint ? { ...grant.metadata, minter: chain.treasury.address.toLowerCase() } : grant.metadata,
  });
}
