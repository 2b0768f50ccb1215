import { uuidv7 } from 'uuidv7';
import { withTransaction, type Tx } from '../platform/db/db.transaction.js';
import type { RequestContext } from '../platform/http/http.context.js';
import { formatAmount, parseAmount } from './wallets.amounts.js';
import { requireChain } from './wallets.chain.js';
import type { WalletsCore } from './wallets.core.js';
import { transactionDto } from './wallets.dto.js';
import { walletError } from './wallets.errors.js';
import { basenamesRepo } from './basenames.repo.js';
import { checkBasename } from './basenames.names.js';
import { ownWallet } from './wallets.service.js';
import { queueTransfer, resolveRecipient } from './transfers.service.js';
import type { TransactionRow } from './transactions.repo.js';

/** What a year of a basename costs, paid to the treasury through the transfer pipeline. */
export const BASENAME_FEE = '1';
export const BASENAME_TERM_DAYS = 365;

/** Availability and normalized form of a name. */
export async function checkName(core: WalletsCore, input: string) {
  const chain = requireChain(core.chain);
  const verdict = checkBasename(input);
  const base = { name: input, normalized: verdict.name, fee: BASENAME_FEE, token: chain.token.symbol };
  if (!verdict.ok) return { ...base, valid: false, available: false, reason: verdict.reason };
  const live = await basenamesRepo.resolve(core.deps.db, verdict.name);
  return { ...base, valid: true, available: !live, reason: live ? ('taken' as const) : null };
}

function validName(input: string): string {
  const verdict = checkBasename(input);
  if (!verdict.ok) throw walletError(verdict.reason === 'reserved' ? 'basename_reserved' : 'basename_invalid', { name: verdict.name ?? input.slice(0, 64) });
  return verdict.name;
}

async function current(trx: Tx, name: string) {
  const b = (await basenamesRepo.mine(trx, (await basenamesRepo.lock(trx, name))!.user_id)).find((x) => x.name === name)!;
  return { name: b.name, walletId: b.wallet_id, address: b.address, registeredAt: new Date(b.registered_at).toISOString(), expiresAt: new Date(b.expires_at).toISOString(), transactionId: b.transaction_id };
}

/**
 * Registers a basename for one of the caller's wallets, charging the fee through the transfer
 * pipeline (the name is released if that payment fails). Pointing a name the caller already holds
 * at another of their wallets is a free update.
 */
export async function registerBasename(core: WalletsCore, ctx: RequestContext, input: { name: string; walletId: string }) {
  const chain = requireChain(core.chain);
  const name = validName(input.name);
  const fee = parseAmount(BASENAME_FEE, chain.token.decimals);
  // a name first registered by a request running beside this one is found on the second attempt: a
  // free update when that request was the caller's own, basename_taken otherwise
  for (let attempt = 1; ; attempt++) {
    try {
      return await registerOnce(core, ctx, name, input.walletId, fee);
    } catch (err) {
      if ((err as { code?: string }).code !== '23505') throw err;
      if (attempt === 2) throw walletError('basename_taken', { name });
    }
  }
}

/** One attempt at registering (or re-pointing) a name, in one transaction. */
async function registerOnce(core: WalletsCore, ctx: RequestContext, name: string, walletId: string, fee: bigint) {
  const chain = requireChain(core.chain);
  return withTransaction(core.deps.db, async (trx) => {
    const wallet = await ownWallet(core, trx, ctx, walletId);
    const existing = await basenamesRepo.lock(trx, name);
    const live = existing && new Date(existing.expires_at) > new Date();
    if (live && existing.user_id !== ctx.user.id) throw walletError('basename_taken', { name });
    if (live) {
      await basenamesRepo.update(trx, name, { walletId: wallet.id, userId: ctx.user.id });
      await basenamesRepo.addHistory(trx, {
        id: uuidv7(), name, action: 'updated', userId: ctx.user.id, walletId: wallet.id, transactionId: null, transactionHash: null, cost: 0n, expiresAt: existing.expires_at,
      });
      return { basename: await current(trx, name), action: 'updated' as const, transaction: null };
    }
    const treasury = await resolveRecipient(core, trx, chain.treasury.address);
    const payment = await queueTransfer(core, trx, {
      from: wallet,
      to: treasury,
      amount: fee,
      type: 'basename',
      userId: ctx.user.id,
      memo: `basename ${name}`,
      metadata: { basename: name },
      context: ctx,
    });
    const expiresAt = new Date(Date.now() + BASENAME_TERM_DAYS * 86_400_000);
    if (existing) await basenamesRepo.update(trx, name, { walletId: wallet.id, userId: ctx.user.id, transactionId: payment.id, expiresAt, fresh: true });
    else await basenamesRepo.insert(trx, { name, walletId: wallet.id, userId: ctx.user.id, transactionId: payment.id, expiresAt });
    await basenamesRepo.addHistory(trx, {
      id: uuidv7(), name, action: 'registered', userId: ctx.user.id, walletId: wallet.id, transactionId: payment.id, transactionHash: null, cost: fee, expiresAt,
    });
    await core.deps.events.record(trx, {
      type: 'basename.registered',
      actorId: ctx.user.id,
      userIds: [ctx.user.id],
      data: { name, walletId: wallet.id, transactionId: payment.id },
      context: ctx,
    });
    return { basename: await current(trx, name), action: 'registered' as const, transaction: transactionDto(core, payment) };
  });
}

/** Hands a basename the caller holds to another user (their user wallet); both keep the history. */
export async function transferBasename(core: WalletsCore, ctx: RequestContext, rawName: string, to: string) {
  const name = validName(rawName);
  return withTransaction(core.deps.db, async (trx) => {
    const existing = await basenamesRepo.lock(trx, name);
    if (!existing || existing.user_id !== ctx.user.id || new Date(existing.expires_at) <= new Date()) throw walletError('basename_not_yours', { name });
    const recipient = await resolveRecipient(core, trx, to);
    if (!recipient.userId || !recipient.walletId) throw walletError('recipient_not_found', { to: to.slice(0, 80) });
    // a name changes hands here, no money moves: not a self_transfer (re-pointing it is POST /basenames, free)
    if (recipient.userId === ctx.user.id) throw walletError('basename_already_yours', { name });
    await basenamesRepo.update(trx, name, { walletId: recipient.walletId, userId: recipient.userId });
    for (const userId of [ctx.user.id, recipient.userId]) {
      await basenamesRepo.addHistory(trx, {
        id: uuidv7(), name, action: 'transferred', userId, walletId: recipient.walletId, transactionId: null, transactionHash: null, cost: 0n, expiresAt: existing.expires_at,
      });
    }
    return { basename: await current(trx, name), action: 'transferred' as const, transaction: null };
  });
}

/** The caller's basenames with their full history (registered, updated, transferred; tx hash, cost, expiry). */
export async function myBasenames(core: WalletsCore, ctx: RequestContext) {
  const decimals = core.chain?.token.decimals ?? 6;
  const [names, history] = await Promise.all([basenamesRepo.mine(core.deps.db, ctx.user.id), basenamesRepo.history(core.deps.db, ctx.user.id)]);
  return {
    basenames: names
      .filter((b) => new Date(b.expires_at) > new Date())
      .map((b) => ({ name: b.name, walletId: b.wallet_id, address: b.address, registeredAt: new Date(b.registered_at).toISOString(), expiresAt: new Date(b.expires_at).toISOString(), transactionId: b.transaction_id })),
    history: history.map((h) => ({
      id: h.id,
      name: h.name,
      action: h.action,
      walletId: h.wallet_id,
      transactionId: h.transaction_id,
      transactionHash: h.hash ?? null,
      transactionStatus: h.status ?? null,
      cost: formatAmount(h.cost, decimals),
      expiresAt: new Date(h.expires_at).toISOString(),
      createdAt: new Date(h.created_at).toISOString(),
    })),
  };
}

/** Finalize hook: a basename whose fee payment failed is released. */
export async function onBasenamePaymentFinal(trx: Tx, row: TransactionRow): Promise<void> {
  if (row.type === 'basename' && row.status === 'failed') await basenamesRepo.releaseByTransaction(trx, row.id);
}
