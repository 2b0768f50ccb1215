import { formatAmount } from './wallets.amounts.js';
import type { WalletsCore } from './wallets.core.js';
import { decimalsOf } from './wallets.events.js';
import type { TransactionDto, WalletDto } from './wallets.schema.js';
import type { TransactionRow } from './transactions.repo.js';
import type { WalletRow } from './wallets.repo.js';

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
/** The party users see on the treasury's side of a row (test funds, gas top-ups, name fees): the app, not an address they never met. */
const APP_NAME = 'StreakPets';
const fromTreasury = (r: TransactionRow) => !r.user_id && (r.type === 'faucet' || r.type === 'gas');
const toTreasury = (r: TransactionRow) => !r.to_user_id && r.type === 'basename';

/** A wallet as the API shows it: never its key. */
export function walletDto(w: WalletRow, balances?: WalletDto['balances']): WalletDto {
  return {
    id: w.id,
    kind: w.kind,
    address: w.address,
    userId: w.user_id,
    petId: w.pet_id,
    createdAt: new Date(w.created_at).toISOString(),
    ...(balances ? { balances } : {}),
  };
}

/**
 * A ledger row as the API shows it (the seeds' Transaction fields); amounts as decimal strings, gas
 * fee in wei. Given the users' display names (transactions.service partyNames), it names both sides too
 * (the treasury by the app's name).
 */
export function transactionDto(core: WalletsCore, r: TransactionRow, names?: Map<string, string>): TransactionDto {
  return {
    id: r.id,
    transactionHash: r.hash,
    from: r.from_address,
    to: r.to_address,
    amount: formatAmount(r.amount, decimalsOf(core, r.token)),
    amountBase: String(r.amount),
    token: r.token,
    tokenAddress: r.token_address,
    network: r.network,
    chainId: r.chain_id,
    type: r.type,
    status: r.status,
    blockNumber: r.block_number === null ? null : String(r.block_number),
    gasUsed: r.gas_used === null ? null : String(r.gas_used),
    gasFee: r.gas_fee === null ? null : String(r.gas_fee),
    timestamp: new Date(r.created_at).toISOString(),
    userId: r.user_id,
    toUserId: r.to_user_id,
    ...(names ? { fromName: fromTreasury(r) ? APP_NAME : (r.user_id && names.get(r.user_id)) || null, toName: toTreasury(r) ? APP_NAME : (r.to_user_id && names.get(r.to_user_id)) || null } : {}),
    petId: r.pet_id,
    memo: r.memo,
    metadata: (r.metadata ?? {}) as Record<string, unknown>,
    error: r.error,
    submittedAt: iso(r.submitted_at),
    finalizedAt: iso(r.finalized_at),
  };
}
