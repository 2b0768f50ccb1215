import { uuidv7 } from 'uuidv7';
import { withTransaction, type Tx } from '../platform/db/db.transaction.js';
import type { ActorContext, RequestContext } from '../platform/http/http.context.js';
import { httpError } from '../platform/http/http.errors.js';
import { decodeCursor, toPage } from '../platform/http/http.pagination.js';
import { formatAmount, parseAmount } from './wallets.amounts.js';
import { requireChain } from './wallets.chain.js';
import type { WalletsCore } from './wallets.core.js';
import { walletError } from './wallets.errors.js';
import { walletsRepo, type WalletRow } from './wallets.repo.js';
import { intentsRepo, type IntentRow } from './intents.repo.js';
import type { IntentDto } from './intents.schema.js';
import type { TransactionRow } from './transactions.repo.js';
import { queueTransfer, resolveRecipient } from './transfers.service.js';
import { ensureUserWallet } from './wallets.service.js';
import type { IntentStatus } from './wallets.tables.js';

const DEFAULT_TTL_DAYS = 7;
const MAX_TTL_DAYS = 30;

function toDto(core: WalletsCore, i: IntentRow, to: string, names: Map<string, string>): IntentDto {
  return {
    id: i.id,
    status: i.status,
    requesterId: i.requester_id,
    requesterName: names.get(i.requester_id) ?? null,
    payerId: i.payer_id,
    payerName: (i.payer_id && names.get(i.payer_id)) || null,
    payer: i.payer_label,
    to,
    amount: formatAmount(i.amount, core.chain?.token.decimals ?? 6),
    token: i.token,
    memo: i.memo,
    transactionId: i.transaction_id,
    expiresAt: new Date(i.expires_at).toISOString(),
    createdAt: new Date(i.created_at).toISOString(),
    updatedAt: new Date(i.updated_at).toISOString(),
  };
}

/** Requests as the API answers them: each with its requester's wallet address and both sides' names (one query for each, none for wallets the caller already holds). */
async function dtos(core: WalletsCore, db: Tx | WalletsCore['deps']['db'], rows: IntentRow[], known: WalletRow[] = []): Promise<IntentDto[]> {
  const address = new Map(known.map((w) => [w.id, w.address]));
  const walletIds = [...new Set(rows.map((i) => i.requester_wallet_id))].filter((id) => !address.has(id));
  const [wallets, names] = await Promise.all([
    walletIds.length ? walletsRepo.byIds(db, walletIds) : [],
    core.deps.services.accounts.displayNames(rows.flatMap((i) => [i.requester_id, i.payer_id]), db),
  ]);
  for (const w of wallets) address.set(w.id, w.address);
  return rows.map((i) => toDto(core, i, address.get(i.requester_wallet_id) ?? '', names));
}

async function dto(core: WalletsCore, db: Tx | WalletsCore['deps']['db'], i: IntentRow, requesterWallet?: WalletRow): Promise<IntentDto> {
  return (await dtos(core, db, [i], requesterWallet ? [requesterWallet] : []))[0];
}

async function recordIntent(core: WalletsCore, trx: Tx, type: 'intent.created' | 'intent.updated', i: IntentRow, actorId: string | null, context?: ActorContext, leaveOut?: string) {
  await core.deps.events.record(trx, {
    type,
    actorId,
    userIds: [i.requester_id, i.payer_id].filter((v): v is string => !!v && v !== leaveOut),
    data: {
      intentId: i.id,
      status: i.status,
      requesterId: i.requester_id,
      payerId: i.payer_id,
      amount: formatAmount(i.amount, core.chain?.token.decimals ?? 6),
      token: i.token,
      memo: i.memo,
    },
    context,
  });
}

/**
 * Open requests past their time become expired, each with its intent.updated event, in a transaction
 * of their own that commits before the caller reads or changes them; answers how many expired.
 */
async function expireDue(core: WalletsCore, scope: Parameters<typeof intentsRepo.expiredOpen>[1]): Promise<number> {
  return withTransaction(core.deps.db, async (trx) => {
    const rows = await intentsRepo.expiredOpen(trx, scope);
    for (const row of rows) await recordIntent(core, trx, 'intent.updated', await intentsRepo.setStatus(trx, row.id, 'expired'), null);
    return rows.length;
  });
}

/** Creates a payment request addressed to a registered user (by email, basename or wallet address). */
export async function createIntent(core: WalletsCore, ctx: RequestContext, input: { payer: string; amount: string; memo?: string; expiresAt?: string }): Promise<IntentDto> {
  const chain = requireChain(core.chain);
  const amount = parseAmount(input.amount, chain.token.decimals, 'body.amount');
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : new Date(Date.now() + DEFAULT_TTL_DAYS * 86_400_000);
  if (expiresAt.getTime() <= Date.now() + 60_000 || expiresAt.getTime() > Date.now() + MAX_TTL_DAYS * 86_400_000) {
    throw httpError('validation_failed', {}, [{ field: 'body.expiresAt', message: 'validation.expiry_range', params: { days: MAX_TTL_DAYS }, code: 'out_of_range' }]);
  }
  return withTransaction(core.deps.db, async (trx) => {
    const payer = await resolveRecipient(core, trx, input.payer);
    if (!payer.userId) throw walletError('recipient_not_found', { to: input.payer.slice(0, 80) });
    if (payer.userId === ctx.user.id) throw walletError('self_request');
    const wallet = await ensureUserWallet(core, trx, ctx.user.id, ctx);
    const intent = await intentsRepo.insert(trx, {
      id: uuidv7(),
      requesterId: ctx.user.id,
      requesterWalletId: wallet.id,
      payerId: payer.userId,
      payerAddress: payer.address,
      payerLabel: input.payer.trim().slice(0, 254),
      amount,
      token: chain.token.symbol,
      memo: input.memo ?? null,
      expiresAt,
    });
    await recordIntent(core, trx, 'intent.created', intent, ctx.user.id, ctx);
    return dto(core, trx, intent, wallet);
  });
}

/** Requests I made or that are addressed to me, newest first, a page at a time. */
export async function listIntents(core: WalletsCore, ctx: RequestContext, q: { status?: IntentStatus; role?: 'requester' | 'payer'; limit: number; cursor?: string }) {
  const after = decodeCursor(q.cursor);
  await expireDue(core, { userId: ctx.user.id });
  // the id alone orders the page: created_at has microseconds a cursor's ISO time would lose
  const rows = await intentsRepo.list(core.deps.db, ctx.user.id, q, q.limit + 1, after?.id ?? null);
  const page = toPage(rows, q.limit, (i) => ({ k: new Date(i.created_at).toISOString(), id: i.id }));
  return { intents: await dtos(core, core.deps.db, page.items), hasMore: page.hasMore, nextCursor: page.nextCursor };
}

async function visibleIntent(trx: Tx, ctx: { user: { id: string; role: string } }, id: string): Promise<IntentRow> {
  const intent = await intentsRepo.lock(trx, id);
  if (!intent || (intent.requester_id !== ctx.user.id && intent.payer_id !== ctx.user.id && ctx.user.role !== 'admin')) throw walletError('intent_not_found');
  return intent;
}

/** One request by id (requester, payer or admin). */
export async function getIntent(core: WalletsCore, ctx: RequestContext, id: string): Promise<IntentDto> {
  await expireDue(core, { id });
  return withTransaction(core.deps.db, async (trx) => dto(core, trx, await visibleIntent(trx, ctx, id)));
}

/** The payer pays a request through the transfer pipeline: created → funded (executed when the payment confirms); its requester is told only the payer can. */
export async function fundIntent(core: WalletsCore, ctx: RequestContext | (ActorContext & { user: { id: string; role: string } }), id: string): Promise<IntentDto> {
  await expireDue(core, { id });
  return withTransaction(core.deps.db, async (trx) => {
    const intent = await visibleIntent(trx, ctx, id);
    // the requester sees their own request (GET, /status), so a 404 here would be untrue: only its payer pays it
    if (intent.payer_id !== ctx.user.id) throw intent.requester_id === ctx.user.id ? walletError('intent_own_request', { payer: intent.payer_label }) : walletError('intent_not_found');
    // due since expireDue looked: refused now, written by the next look or the job
    if (intent.status === 'created' && new Date(intent.expires_at) <= new Date()) throw walletError('intent_not_open', { status: 'expired' });
    if (intent.status !== 'created') throw walletError('intent_not_open', { status: intent.status });
    // a disabled account is paid by no one, by email, basename or request alike
    if (!(await core.deps.services.accounts.isActive(intent.requester_id, trx))) throw walletError('intent_requester_inactive');
    const from = await ensureUserWallet(core, trx, ctx.user.id);
    const requesterWallet = (await walletsRepo.byId(trx, intent.requester_wallet_id))!;
    const payment = await queueTransfer(core, trx, {
      from,
      to: { address: requesterWallet.address, walletId: requesterWallet.id, userId: intent.requester_id, petId: null, via: 'address' },
      amount: BigInt(intent.amount),
      type: 'transfer',
      userId: ctx.user.id,
      memo: intent.memo,
      metadata: { intentId: intent.id },
      context: ctx,
    });
    const funded = await intentsRepo.setStatus(trx, intent.id, 'funded', payment.id);
    await recordIntent(core, trx, 'intent.updated', funded, ctx.user.id, ctx);
    return dto(core, trx, funded, requesterWallet);
  });
}

/** Requester or payer cancels a request that has not been paid. */
export async function cancelIntent(core: WalletsCore, ctx: RequestContext, id: string): Promise<IntentDto> {
  await expireDue(core, { id });
  return withTransaction(core.deps.db, async (trx) => {
    const intent = await visibleIntent(trx, ctx, id);
    if (intent.status !== 'created') throw walletError('intent_not_open', { status: intent.status });
    const cancelled = await intentsRepo.setStatus(trx, intent.id, 'cancelled');
    await recordIntent(core, trx, 'intent.updated', cancelled, ctx.user.id, ctx);
    return dto(core, trx, cancelled);
  });
}

/**
 * Inside an account deletion's transaction: the user's open requests (made or to pay) are cancelled,
 * so nobody pays into the deleted account; the other party is told (the deleted user is not, nor is
 * their memo passed on). A request being funded at the same moment is waited for and left funded.
 */
export async function cancelIntentsOfDeletedUser(core: WalletsCore, trx: Tx, userId: string): Promise<void> {
  for (const open of await intentsRepo.openOf(trx, userId)) {
    const cancelled = await intentsRepo.setStatus(trx, open.id, 'cancelled');
    await recordIntent(core, trx, 'intent.updated', { ...cancelled, memo: null }, null, undefined, userId);
  }
}

/** The expiry job: open requests past their time become expired (those a request or list touches first already are). */
export async function expireIntents(core: WalletsCore): Promise<number> {
  return expireDue(core, { limit: 500 });
}

/** Finalize hook: a funded request becomes executed when its payment confirms, or open again when it fails. */
export function onIntentPaymentFinal(core: WalletsCore) {
  return async (trx: Tx, row: TransactionRow): Promise<void> => {
    const intentId = (row.metadata as { intentId?: string } | null)?.intentId;
    if (!intentId) return;
    const intent = await intentsRepo.byTransaction(trx, row.id);
    if (!intent || intent.status !== 'funded') return;
    const next = row.status === 'confirmed'
      ? await intentsRepo.setStatus(trx, intent.id, 'executed')
      : await intentsRepo.setStatus(trx, intent.id, 'created', null);
    await recordIntent(core, trx, 'intent.updated', next, null);
  };
}
