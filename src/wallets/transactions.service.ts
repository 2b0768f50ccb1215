import { uuidv7 } from 'uuidv7';
import {
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  type Hex,
  type Transaction,
  type TransactionReceipt,
} from 'viem';
import { withTransaction } from '../platform/db/db.transaction.js';
import { decodeCursor, encodeCursor } from '../platform/http/http.pagination.js';
import { assertMayName, type RequestContext } from '../platform/http/http.context.js';
import { isFinal, requireChain } from './wallets.chain.js';
import type { WalletsCore } from './wallets.core.js';
import { transactionDto } from './wallets.dto.js';
import { walletError } from './wallets.errors.js';
import { walletsRepo } from './wallets.repo.js';
import { transactionsRepo, type TransactionFilter, type TransactionRow } from './transactions.repo.js';
import { confirmWallet, finalizeRow } from './transfers.confirm.js';
import { formatAmount } from './wallets.amounts.js';
import { minedAt, movement, partiesOf, settlementOf } from './transactions.external.js';
import type { TransactionDto, TransactionsQuery } from './wallets.schema.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function myAddresses(core: WalletsCore, userId: string): Promise<string[]> {
  return (await walletsRepo.listByUser(core.deps.db, userId)).map((w) => w.address);
}

function visible(row: TransactionRow, userId: string, addresses: string[]): boolean {
  return row.user_id === userId || row.to_user_id === userId || addresses.includes(row.from_address) || addresses.includes(row.to_address);
}

/** The display names of the users on either side of ledger rows (the sender is the row's user), in one query. */
export function partyNames(core: WalletsCore, rows: TransactionRow[]): Promise<Map<string, string>> {
  return core.deps.services.accounts.displayNames(rows.flatMap((r) => [r.user_id, r.to_user_id]));
}

/** One ledger row as the ledger reads answer it, with both sides named. */
async function namedDto(core: WalletsCore, row: TransactionRow): Promise<TransactionDto> {
  return transactionDto(core, row, await partyNames(core, [row]));
}

/**
 * The ledger, filtered and paginated, with counts by status and type and totals by token; users see only rows
 * touching their wallets, and naming another user with `userId` is 403 forbidden for anyone but an admin.
 */
export async function listTransactions(core: WalletsCore, ctx: RequestContext, q: TransactionsQuery) {
  // naming another user is for admins (as on /activity and /pets): anyone else is refused, an admin without 2FA told to turn it on
  assertMayName(ctx.user, q.userId);
  const admin = ctx.user.role === 'admin';
  const subject = admin ? q.userId : ctx.user.id;
  const addresses = subject ? await myAddresses(core, subject) : null;
  const filter: TransactionFilter = {
    addresses,
    userIds: subject ? [subject] : null,
    type: q.type,
    status: q.status,
    address: q.address?.toLowerCase(),
    petId: q.petId,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
    includeGas: q.type === 'gas',
  };
  const after = decodeCursor(q.cursor);
  const rows = await transactionsRepo.list(core.deps.db, filter, q.limit, after);
  const hasMore = rows.length > q.limit;
  const page = hasMore ? rows.slice(0, q.limit) : rows;
  const last = page[page.length - 1];
  // sent and received from the side of whom the list is about: the user, else the address an admin asked for
  const side = addresses ?? (filter.address ? [filter.address] : null);
  const { byStatusType, totals } = await transactionsRepo.summary(core.deps.db, filter, side);
  const byStatus: Record<string, number> = {};
  const byType: Record<string, number> = {};
  let count = 0;
  for (const r of byStatusType) {
    byStatus[r.status] = (byStatus[r.status] ?? 0) + r.n;
    byType[r.type] = (byType[r.type] ?? 0) + r.n;
    count += r.n;
  }
  const decimals = (token: string) => (token === 'ETH' ? 18 : (core.chain?.token.decimals ?? 6));
  const names = await partyNames(core, page);
  return {
    transactions: page.map((r) => transactionDto(core, r, names)),
    summary: {
      count,
      byStatus,
      byType,
      totals: totals.map((t) => ({ token: t.token, sent: formatAmount(t.sent, decimals(t.token)), received: formatAmount(t.received, decimals(t.token)) })),
    },
    hasMore,
    nextCursor: hasMore && last ? encodeCursor({ k: new Date(last.created_at).toISOString(), id: last.id }) : null,
  };
}

async function findVisible(core: WalletsCore, ctx: RequestContext, hashOrId: string): Promise<TransactionRow> {
  const row = UUID.test(hashOrId)
    ? await transactionsRepo.byId(core.deps.db, hashOrId)
    : /^0x[0-9a-fA-F]{64}$/.test(hashOrId)
      ? await transactionsRepo.byHash(core.deps.db, hashOrId)
      : undefined;
  if (!row) throw walletError('transaction_not_found');
  if (ctx.user.role !== 'admin' && !visible(row, ctx.user.id, await myAddresses(core, ctx.user.id))) throw walletError('transaction_not_found');
  return row;
}

/** One ledger row by id or hash. */
export async function getTransaction(core: WalletsCore, ctx: RequestContext, hashOrId: string): Promise<TransactionDto> {
  return namedDto(core, await findVisible(core, ctx, hashOrId));
}

async function chainTransaction(core: WalletsCore, hash: Hex): Promise<{ tx: Transaction; receipt: TransactionReceipt | null } | null> {
  const client = core.deps.chain.publicClient;
  try {
    const tx = await client.getTransaction({ hash });
    const receipt = await client.getTransactionReceipt({ hash }).catch((err) => {
      if (err instanceof TransactionReceiptNotFoundError) return null;
      throw err;
    });
    return { tx, receipt };
  } catch (err) {
    if (err instanceof TransactionNotFoundError) return null;
    throw err;
  }
}

/**
 * Records a transaction sent outside StreakPets by its hash: everything stored (parties, amount,
 * status, block, gas) is read from the chain, never taken from the client. Answers the existing row when the hash is known,
 * also to requests racing to record it (every one of them gets the row one of them created).
 */
export async function recordTransaction(core: WalletsCore, ctx: RequestContext, input: { hash: string; petId?: string }): Promise<{ created: boolean; transaction: TransactionDto }> {
  const chain = requireChain(core.chain);
  const hash = input.hash.toLowerCase() as Hex;
  // a pet named by the caller must be one of theirs (an admin's: any), as on every other pet route
  if (input.petId) await core.deps.services.pets.requirePet(core.deps.db, ctx, input.petId, { includeDeleted: true });
  const admin = ctx.user.role === 'admin';
  const [known, mine] = await Promise.all([transactionsRepo.byHash(core.deps.db, hash), myAddresses(core, ctx.user.id)]);
  const existing = async (row: TransactionRow) => {
    if (admin || visible(row, ctx.user.id, mine)) return { created: false, transaction: await namedDto(core, row) };
    // one row per hash (the seeds' unique transactionHash): another party's side of it is already the ledger's
    throw walletError('tx_recorded_by_other', { hash });
  };
  if (known && (admin || visible(known, ctx.user.id, mine))) return existing(known);
  const found = await chainTransaction(core, hash);
  if (!found) throw walletError('tx_not_on_chain', { hash });
  const moved = movement(core, found.tx, found.receipt, admin ? null : mine);
  if (!admin && !mine.includes(moved.from) && !mine.includes(moved.to)) throw walletError('tx_not_yours');
  if (known) return existing(known);
  const { fromWallet, toWallet, userId, toUserId, toWalletId } = await partiesOf(core, moved);
  const mined = found.receipt;
  // final once CONFIRMATIONS blocks hold it, as the app's own transfers are; until then pending, for refresh and the watcher
  const latest = mined ? await core.deps.chain.publicClient.getBlockNumber({ cacheTime: 0 }) : 0n;
  const receipt = mined && isFinal(chain, mined.blockNumber, latest) ? mined : null;
  // a mined transaction is dated by its block, not by when someone recorded it
  const minedAtTime = mined ? await minedAt(core, mined.blockNumber) : undefined;
  const row = await withTransaction(core.deps.db, async (trx) => {
    const inserted = await transactionsRepo.insertNewHash(trx, {
      id: uuidv7(),
      type: 'transfer',
      status: receipt ? (receipt.status === 'success' ? 'confirmed' : 'failed') : 'pending',
      call: 'external',
      chainId: chain.chainId,
      network: chain.network,
      fromAddress: moved.from,
      toAddress: moved.to,
      fromWalletId: null,
      toWalletId,
      userId,
      toUserId,
      petId: input.petId ?? fromWallet?.pet_id ?? toWallet?.pet_id ?? null,
      amount: moved.amount,
      token: moved.token,
      tokenAddress: moved.tokenAddress,
      memo: null,
      metadata: { recordedBy: ctx.user.id, chainFrom: found.tx.from.toLowerCase(), chainTo: found.tx.to?.toLowerCase() ?? null, nonce: found.tx.nonce },
      hash,
      blockNumber: receipt?.blockNumber ?? null,
      gasUsed: receipt?.gasUsed ?? null,
      gasFee: receipt ? receipt.gasUsed * receipt.effectiveGasPrice : null,
      error: receipt && receipt.status !== 'success' ? 'reverted' : null,
      createdAt: minedAtTime,
      finalizedAt: receipt ? minedAtTime : undefined,
    });
    return inserted;
  });
  // recorded meanwhile by a request that raced this one: answered as if it had come first
  if (!row) return existing((await transactionsRepo.byHash(core.deps.db, hash))!);
  if (row.status === 'pending' && core.driver.active) core.driver.watch();
  return { created: true, transaction: await namedDto(core, row) };
}

/** Re-checks a pending row against the chain now (confirms, fails, or re-sends its signed bytes). */
export async function refreshTransaction(core: WalletsCore, ctx: RequestContext, hash: string): Promise<TransactionDto> {
  const chain = requireChain(core.chain);
  const row = await findVisible(core, ctx, hash);
  if (row.status !== 'pending' || !row.hash) return namedDto(core, row);
  const found = await chainTransaction(core, row.hash as Hex);
  const receipt = found?.receipt ?? null;
  const latest = await core.deps.chain.publicClient.getBlockNumber({ cacheTime: 0 });
  if (receipt && isFinal(chain, receipt.blockNumber, latest)) {
    await finalizeRow(core, row.id, { receipt, settled: row.call === 'external' ? await settlementOf(core, row, receipt) : undefined });
  } else if (!found && row.call === 'external') {
    await failIfDropped(core, row);
  } else if (row.from_wallet_id && row.call !== 'external') {
    await confirmWallet(core, row.from_wallet_id);
  }
  return namedDto(core, (await transactionsRepo.byId(core.deps.db, row.id))!);
}

/**
 * Fails an outside transaction recorded pending that can never be mined: the chain does not know it
 * and its signer has used its nonce for another. The nonce is read first, so a transaction mined
 * meanwhile is found by the lookup after it. Rows recorded before the nonce was kept stay pending.
 */
async function failIfDropped(core: WalletsCore, row: TransactionRow): Promise<boolean> {
  const { chainFrom, nonce } = (row.metadata ?? {}) as { chainFrom?: string; nonce?: unknown };
  if (!chainFrom || typeof nonce !== 'number') return false;
  const used = await core.deps.chain.publicClient.getTransactionCount({ address: chainFrom as Hex, blockTag: 'latest' });
  if (used <= nonce || (await chainTransaction(core, row.hash as Hex))) return false;
  return !!(await finalizeRow(core, row.id, { error: 'nonce_consumed' }));
}

/** Fails outside transactions recorded pending that the chain dropped for good (failIfDropped), once untouched for olderThanSeconds (run by the reconcile job); answers how many. */
export async function failDroppedExternal(core: WalletsCore, olderThanSeconds = 600): Promise<number> {
  let failed = 0;
  for (const row of await transactionsRepo.staleExternalPending(core.deps.db, olderThanSeconds)) if (await failIfDropped(core, row)) failed++;
  return failed;
}

/** Drops the hourly spend buckets no daily-limit check reads any more (run hourly by a job); answers how many. */
export async function pruneSpendBuckets(core: WalletsCore): Promise<number> {
  return transactionsRepo.pruneSpend(core.deps.db);
}
