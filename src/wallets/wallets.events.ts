import type { Tx } from '../platform/db/db.transaction.js';
import type { ActorContext } from '../platform/http/http.context.js';
import type { TransferEventData } from '../platform/events/events.catalog.js';
import { formatAmount } from './wallets.amounts.js';
import type { TransactionRow } from './transactions.repo.js';
import type { WalletsCore } from './wallets.core.js';

/** Decimals of a ledger row's token: 18 for the native coin, the configured token's otherwise. */
export function decimalsOf(core: WalletsCore, token: string): number {
  if (token === 'ETH') return 18;
  return core.chain?.token.decimals ?? 6;
}

/** Records transfer.queued|pending|confirmed|failed for a ledger row, addressed to both sides (gas top-ups are internal). */
export async function recordTransferEvent(
  core: WalletsCore,
  trx: Tx,
  row: TransactionRow,
  type: 'transfer.queued' | 'transfer.pending' | 'transfer.confirmed' | 'transfer.failed',
  context?: ActorContext,
): Promise<void> {
  if (row.type === 'gas') return;
  const data: TransferEventData & Record<string, unknown> = {
    transactionId: row.id,
    hash: row.hash,
    from: row.from_address,
    to: row.to_address,
    fromUserId: row.user_id,
    toUserId: row.to_user_id,
    amount: formatAmount(row.amount, decimalsOf(core, row.token)),
    amountBase: row.amount,
    token: row.token,
    type: row.type,
    status: row.status,
  };
  if (type === 'transfer.confirmed') {
    Object.assign(data, { blockNumber: String(row.block_number), gasUsed: String(row.gas_used), gasFee: String(row.gas_fee) });
  }
  if (type === 'transfer.failed') Object.assign(data, { reason: row.error ?? 'failed' });
  await core.deps.events.record(trx, {
    type,
    actorId: row.user_id,
    userIds: [row.user_id, row.to_user_id].filter((v): v is string => !!v),
    petId: row.pet_id,
    data: data as never,
    context,
  });
}
