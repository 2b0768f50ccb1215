import { v7 as uuidv7 } from 'uuid';
import { parseUnits, type Address } from 'viem';
import { withTransaction, type Executor, type Tx } from '../platform/db/db.transaction.js';
import type { ActorContext, RequestContext } from '../platform/http/http.context.js';
import { erc20Abi } from '../chain/chain.contracts.js';
import { formatAmount, parseAmount } from './wallets.amounts.js';
import { requireChain } from './wallets.chain.js';
import type { WalletsCore } from './wallets.core.js';
import { scheduleBroadcast } from './transfers.broadcast.js';
import { transactionDto } from './wallets.dto.js';
import { walletError } from './wallets.errors.js';
import { recordTransferEvent } from './wallets.events.js';
import { walletsRepo, type WalletRow } from './wallets.repo.js';
import { transactionsRepo, type TransactionRow } from './transactions.repo.js';
import { basenamesRepo } from './basenames.repo.js';
import { normalizeBasename } from './basenames.names.js';
import { ensureUserWallet, ownWallet } from './wallets.service.js';
import type { TransactionDto, TransferBody } from './wallets.schema.js';
import type { TxType } from './wallets.tables.js';

export interface Recipient {
  address: string;
  walletId: string | null;
  userId: string | null;
  petId: string | null;
  via: 'address' | 'email' | 'basename';
}

/** Resolves a transfer's `to`: a 0x address (ours or external), a registered user's email, or a basename. */
export async function resolveRecipient(core: WalletsCore, db: Executor, to: string): Promise<Recipient> {
  const value = to.trim();
  if (/^0x[0-9a-fA-F]{40}$/.test(value)) {
    const wallet = await walletsRepo.byAddress(db, value);
    return { address: value.toLowerCase(), walletId: wallet?.id ?? null, userId: wallet?.user_id ?? null, petId: wallet?.pet_id ?? null, via: 'address' };
  }
  if (value.includes('@')) {
    const user = value.length <= 254 ? await core.deps.services.accounts.findActiveByEmail(value, db) : null;
    if (!user) throw walletError('recipient_not_found', { to: value.slice(0, 80) });
    const wallet = await ensureUserWallet(core, db, user.id);
    return { address: wallet.address, walletId: wallet.id, userId: user.id, petId: null, via: 'email' };
  }
  const name = normalizeBasename(value);
  const owned = name ? await basenamesRepo.resolve(db, name) : undefined;
  if (!owned) throw walletError('recipient_not_found', { to: value.slice(0, 80) });
  return { address: owned.address, walletId: owned.wallet_id, userId: owned.user_id, petId: owned.pet_id, via: 'basename' };
}

/** Checks that `token` names the configured token (symbol or address); undefined means it. */
export function checkToken(core: WalletsCore, token: string | undefined): void {
  const chain = requireChain(core.chain);
  if (token === undefined) return;
  const t = token.trim().toLowerCase();
  if (t !== chain.token.symbol.toLowerCase() && t !== chain.token.address.toLowerCase()) throw walletError('unsupported_token', { token: token.slice(0, 42), supported: chain.token.symbol });
}

export interface QueueTransferInput {
  from: WalletRow;
  to: Recipient;
  amount: bigint;
  type: TxType;
  /** The user whose money moves (limits apply to them); null for treasury payouts. */
  userId: string | null;
  memo?: string | null;
  metadata?: Record<string, unknown>;
  context?: ActorContext;
}

interface ChainSnapshot {
  balance: bigint;
  nonce: bigint;
}
const SNAPSHOT_TTL_MS = 1000;
/** A shortfall seen in a snapshot older than this is re-checked against the chain before refusing. */
const RECHECK_AFTER_MS = 250;
interface CachedSnapshot {
  at: number;
  value: Promise<ChainSnapshot>;
}
const snapshots = new WeakMap<WalletsCore, Map<string, CachedSnapshot>>();

/** A wallet's token balance and nonce read at one block; cached for a second unless fresh is asked for. */
function chainSnapshot(core: WalletsCore, wallet: WalletRow, fresh: boolean): CachedSnapshot {
  const chain = requireChain(core.chain);
  let cache = snapshots.get(core);
  if (!cache) snapshots.set(core, (cache = new Map()));
  const hit = cache.get(wallet.id);
  if (!fresh && hit && Date.now() - hit.at < SNAPSHOT_TTL_MS) return hit;
  const value = (async () => {
    const client = core.deps.chain.batchClient;
    const block = await client.getBlockNumber({ cacheTime: 0 });
    const address = wallet.address as Address;
    const [balance, nonce] = await Promise.all([
      client.readContract({ address: chain.token.address, abi: erc20Abi, functionName: 'balanceOf', args: [address], blockNumber: block }),
      client.getTransactionCount({ address, blockNumber: block }),
    ]);
    return { balance, nonce: BigInt(nonce) };
  })();
  value.catch(() => cache.delete(wallet.id));
  const entry = { at: Date.now(), value };
  cache.set(wallet.id, entry);
  if (cache.size > 10_000) cache.clear();
  return entry;
}

/**
 * Spendable token balance, computed under the wallet lock: a chain snapshot (balance and nonce at
 * one block, up to a second old) minus every outgoing row the snapshot cannot reflect yet. A stale
 * snapshot can only under-state what is spendable, so an older shortfall is re-checked fresh.
 */
async function availableBalance(core: WalletsCore, trx: Tx, wallet: WalletRow, amount: bigint): Promise<bigint> {
  const chain = requireChain(core.chain);
  let entry = chainSnapshot(core, wallet, false);
  for (;;) {
    const snap = await entry.value;
    const available = snap.balance - (await transactionsRepo.inFlightOutgoing(trx, wallet.id, chain.token.address, snap.nonce));
    if (available >= amount || Date.now() - entry.at < RECHECK_AFTER_MS) return available;
    entry = chainSnapshot(core, wallet, true);
  }
}

/**
 * The money-moving core (DESIGN §6), on the caller's transaction: locks the sender (user row for
 * the daily limit, then the wallet row), checks the spendable balance and the unverified daily
 * limit, writes the ledger row `queued`, records transfer.queued and enqueues the broadcast job —
 * all or nothing. Other domains (bulk payouts, store) call it through the wallets service.
 */
export async function queueTransfer(core: WalletsCore, trx: Tx, input: QueueTransferInput): Promise<TransactionRow> {
  const chain = requireChain(core.chain);
  if (input.amount <= 0n) throw walletError('invalid_amount', { value: '0' });
  if (input.to.address === input.from.address) throw walletError('self_transfer');
  void chainSnapshot(core, input.from, false);
  if (input.userId) {
    const kycStatus = await core.deps.services.accounts.lockForSpending(trx, input.userId);
    if (kycStatus && kycStatus !== 'verified') {
      const limit = parseUnits(core.deps.config.UNVERIFIED_DAILY_LIMIT, chain.token.decimals);
      const sent = await transactionsRepo.sentInLastDay(trx, input.userId, chain.token.symbol);
      if (sent + input.amount > limit) {
        throw walletError('daily_limit_exceeded', {
          limit: core.deps.config.UNVERIFIED_DAILY_LIMIT,
          remaining: formatAmount(limit > sent ? limit - sent : 0n, chain.token.decimals),
          token: chain.token.symbol,
        });
      }
    }
  }
  const wallet = await walletsRepo.lock(trx, input.from.id);
  if (!wallet) throw walletError('wallet_not_found');
  const available = await availableBalance(core, trx, wallet, input.amount);
  if (available < input.amount) {
    throw walletError('insufficient_balance', {
      available: formatAmount(available > 0n ? available : 0n, chain.token.decimals),
      token: chain.token.symbol,
    });
  }
  const row = await transactionsRepo.insert(trx, {
    id: uuidv7(),
    type: input.type,
    status: 'queued',
    call: 'erc20_transfer',
    chainId: chain.chainId,
    network: chain.network,
    fromAddress: wallet.address,
    toAddress: input.to.address,
    fromWalletId: wallet.id,
    toWalletId: input.to.walletId,
    userId: input.userId ?? wallet.user_id,
    toUserId: input.to.userId,
    petId: wallet.pet_id ?? input.to.petId,
    amount: input.amount,
    token: chain.token.symbol,
    tokenAddress: chain.token.address,
    memo: input.memo ?? null,
    metadata: { ...(input.metadata ?? {}), recipientVia: input.to.via },
  });
  await recordTransferEvent(core, trx, row, 'transfer.queued', input.context);
  await scheduleBroadcast(core, trx, wallet.id);
  return row;
}

/** POST /transfers: pays an address, a user's email or a basename from one of the caller's wallets; answers the queued ledger row. */
export async function sendTransfer(core: WalletsCore, ctx: RequestContext, body: TransferBody): Promise<TransactionDto> {
  const chain = requireChain(core.chain);
  checkToken(core, body.token);
  const amount = parseAmount(body.amount, chain.token.decimals, 'body.amount');
  const row = await withTransaction(core.deps.db, async (trx) => {
    const from = await ownWallet(core, trx, ctx, body.fromWalletId);
    const to = await resolveRecipient(core, trx, body.to);
    return queueTransfer(core, trx, { from, to, amount, type: 'transfer', userId: from.user_id, memo: body.memo ?? null, context: ctx });
  });
  return transactionDto(core, row);
}
