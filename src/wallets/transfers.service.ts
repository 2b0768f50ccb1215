import { withTransaction, type Executor, type Tx } from '../platform/db/db.transaction.js';
import type { RequestContext } from '../platform/http/http.context.js';
import { Batcher } from '../platform/batching/batching.batcher.js';
import { parseAmount } from './wallets.amounts.js';
import { requireChain } from './wallets.chain.js';
import type { WalletsCore } from './wallets.core.js';
import { transactionDto } from './wallets.dto.js';
import { walletError } from './wallets.errors.js';
import { walletsRepo, type WalletRow } from './wallets.repo.js';
import type { TransactionRow } from './transactions.repo.js';
import { basenamesRepo } from './basenames.repo.js';
import { normalizeBasename } from './basenames.names.js';
import { ensureUserWallet, spendableBy } from './wallets.service.js';
import { queueTransfers, type QueueTransferInput, type Recipient } from './transfers.accept.js';
import type { TransactionDto, TransferBody } from './wallets.schema.js';

export type { QueueTransferInput, Recipient };

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function addressRecipient(address: string, wallet: WalletRow | undefined): Recipient {
  return { address: address.toLowerCase(), walletId: wallet?.id ?? null, userId: wallet?.user_id ?? null, petId: wallet?.pet_id ?? null, via: 'address' };
}

/** Resolves a transfer's `to`: a 0x address (ours or external), a registered user's email, or a basename. */
export async function resolveRecipient(core: WalletsCore, db: Executor, to: string): Promise<Recipient> {
  const value = to.trim();
  if (ADDRESS.test(value)) return addressRecipient(value, await walletsRepo.byAddress(db, value));
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

/**
 * One transfer on the caller's transaction (queueTransfers for one): other domains (payment
 * requests, basenames, chat, bulk payouts) call it; a refusal throws and rolls their work back.
 */
export async function queueTransfer(core: WalletsCore, trx: Tx, input: QueueTransferInput): Promise<TransactionRow> {
  const [result] = await queueTransfers(core, trx, [input]);
  if (result instanceof Error) throw result;
  return result;
}

interface TransferRequest {
  ctx: RequestContext;
  body: TransferBody;
  amount: bigint;
}

/** Concurrent POST /transfers share one transaction: per-batch round trips, locks taken once per batch in id order. */
const TRANSFER_BATCH = { maxBatch: 64, concurrency: 4 };
const batchers = new WeakMap<WalletsCore, Batcher<TransferRequest, TransactionRow>>();

function transferBatcher(core: WalletsCore): Batcher<TransferRequest, TransactionRow> {
  let batcher = batchers.get(core);
  if (!batcher) batchers.set(core, (batcher = new Batcher((items) => acceptBatch(core, items), TRANSFER_BATCH)));
  return batcher;
}

/** A batch in one transaction; if the transaction fails as a whole (a database error), each request is retried alone. */
async function acceptBatch(core: WalletsCore, items: TransferRequest[]): Promise<Array<TransactionRow | Error>> {
  try {
    return await withTransaction(core.deps.db, (trx) => acceptMany(core, trx, items));
  } catch (err) {
    if (items.length === 1) throw err;
    return Promise.all(items.map((item) => withTransaction(core.deps.db, (trx) => acceptMany(core, trx, [item])).then((r) => r[0], (e: Error) => e)));
  }
}

/** Resolves every request's sending wallet and recipient (one query per kind for the common cases), then queues them together. */
async function acceptMany(core: WalletsCore, trx: Tx, items: TransferRequest[]): Promise<Array<TransactionRow | Error>> {
  const implicit = [...new Set(items.filter((i) => !i.body.fromWalletId).map((i) => i.ctx.user.id))];
  const explicit = [...new Set(items.flatMap((i) => (i.body.fromWalletId && UUID.test(i.body.fromWalletId) ? [i.body.fromWalletId] : [])))];
  const toAddresses = [...new Set(items.map((i) => i.body.to.trim()).filter((to) => ADDRESS.test(to)))];
  const [userWallets, named, known] = await Promise.all([
    implicit.length ? walletsRepo.userWallets(trx, implicit) : [],
    explicit.length ? walletsRepo.byIds(trx, explicit) : [],
    walletsRepo.byAddresses(trx, toAddresses),
  ]);
  const byUser = new Map(userWallets.map((w) => [w.user_id, w]));
  const byId = new Map(named.map((w) => [w.id, w]));
  const byAddress = new Map(known.map((w) => [w.address, w]));
  const resolved: Array<QueueTransferInput | Error> = [];
  for (const { ctx, body, amount } of items) {
    try {
      const from = body.fromWalletId
        ? spendableBy(byId.get(body.fromWalletId), ctx.user.id)
        : (byUser.get(ctx.user.id) ?? (await ensureUserWallet(core, trx, ctx.user.id)));
      const to = body.to.trim();
      const recipient = ADDRESS.test(to) ? addressRecipient(to, byAddress.get(to.toLowerCase())) : await resolveRecipient(core, trx, to);
      resolved.push({ from, to: recipient, amount, type: 'transfer', userId: from.user_id, memo: body.memo ?? null, context: ctx });
    } catch (err) {
      resolved.push(err as Error);
    }
  }
  const inputs = resolved.filter((r): r is QueueTransferInput => !(r instanceof Error));
  const queued = await queueTransfers(core, trx, inputs);
  let n = 0;
  return resolved.map((r) => (r instanceof Error ? r : queued[n++]));
}

/** POST /transfers: pays an address, a user's email or a basename from one of the caller's wallets; answers the queued ledger row. */
export async function sendTransfer(core: WalletsCore, ctx: RequestContext, body: TransferBody): Promise<TransactionDto> {
  const chain = requireChain(core.chain);
  checkToken(core, body.token);
  const amount = parseAmount(body.amount, chain.token.decimals, 'body.amount');
  return transactionDto(core, await transferBatcher(core).run({ ctx, body, amount }));
}
