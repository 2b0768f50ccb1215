import { uuidv7 } from 'uuidv7';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { Address } from 'viem';
import { withTransaction, type Executor, type Tx } from '../platform/db/db.transaction.js';
import type { ActorContext, RequestContext } from '../platform/http/http.context.js';
import { AppError } from '../platform/http/http.errors.js';
import { tokenBalance } from '../chain/chain.deploy.js';
import { formatAmount, parseAmount } from './wallets.amounts.js';
import { requireChain } from './wallets.chain.js';
import { JOBS, type WalletsCore } from './wallets.core.js';
import { walletDto, transactionDto } from './wallets.dto.js';
import { walletError } from './wallets.errors.js';
import { recordTransferEvent } from './wallets.events.js';
import { walletsRepo, type WalletRow } from './wallets.repo.js';
import { transactionsRepo } from './transactions.repo.js';
import { insertTreasuryGrant } from './treasury.grants.js';
import { scheduleBroadcasts } from './transfers.accept.js';
import type { TransactionDto, WalletDto } from './wallets.schema.js';

export const FAUCET_DEFAULT = '100';
export const FAUCET_MAX = 1000n;
export const FAUCET_COOLDOWN_SECONDS = 30;

async function insertWallet(core: WalletsCore, trx: Tx, kind: 'user' | 'pet', userId: string, petId: string | null, context?: ActorContext) {
  const key = generatePrivateKey();
  const address = privateKeyToAccount(key).address;
  const row = await walletsRepo.insert(trx, {
    id: uuidv7(),
    kind,
    userId,
    petId,
    address,
    encryptedKey: core.vault.seal(key, address),
  });
  if (!row) return null;
  await core.deps.events.record(trx, {
    type: 'wallet.created',
    actorId: userId,
    userIds: [userId],
    petId,
    data: { walletId: row.id, address: row.address, kind },
    context,
  });
  if (core.chain) await core.deps.jobs.enqueue(JOBS.gasTopUp, { walletId: row.id }, { trx });
  return row;
}

/** The user's own wallet, created (key generated and sealed) the first time it is needed. */
export async function ensureUserWallet(core: WalletsCore, db: Executor, userId: string, context?: ActorContext): Promise<WalletRow> {
  const existing = await walletsRepo.userWallet(db, userId);
  if (existing) return existing;
  return withTransaction(db, async (trx) => {
    const created = await insertWallet(core, trx, 'user', userId, null, context);
    return created ?? (await walletsRepo.userWallet(trx, userId))!;
  });
}

/** Creates a pet's wallet for the pet's owner (one per pet). */
export async function createPetWallet(core: WalletsCore, ctx: RequestContext, petId: string): Promise<WalletDto> {
  return withTransaction(core.deps.db, async (trx) => {
    const owner = (await core.deps.services.pets.requirePet(trx, ctx, petId)).user_id;
    if (await walletsRepo.petWallet(trx, petId)) throw walletError('pet_wallet_exists');
    const row = await insertWallet(core, trx, 'pet', owner, petId, ctx);
    if (!row) throw walletError('pet_wallet_exists');
    return walletDto(row);
  });
}

/** Token and gas balances of a wallet, read from the chain. */
export async function balancesOf(core: WalletsCore, address: string): Promise<NonNullable<WalletDto['balances']>> {
  const chain = requireChain(core.chain);
  const [token, gas] = await Promise.all([
    tokenBalance(core.deps.chain, chain.token.address, address as Address),
    core.deps.chain.publicClient.getBalance({ address: address as Address }),
  ]);
  return {
    token: { symbol: chain.token.symbol, amount: formatAmount(token, chain.token.decimals), base: token.toString() },
    gas: { symbol: 'ETH', amount: formatAmount(gas, 18), base: gas.toString() },
  };
}

async function withBalances(core: WalletsCore, rows: WalletRow[]): Promise<WalletDto[]> {
  if (!core.chain) return rows.map((w) => walletDto(w));
  return Promise.all(rows.map(async (w) => walletDto(w, await balancesOf(core, w.address))));
}

/** The caller's wallets (their user wallet is created on first use) with balances from the chain. */
export async function listMyWallets(core: WalletsCore, ctx: RequestContext): Promise<WalletDto[]> {
  await ensureUserWallet(core, core.deps.db, ctx.user.id, ctx);
  return withBalances(core, await walletsRepo.listByUser(core.deps.db, ctx.user.id));
}

/** A user's wallets as stored (no balances read, none created): for an admin's view of the account. */
export async function walletsOfUser(db: Executor, userId: string): Promise<WalletDto[]> {
  return (await walletsRepo.listByUser(db, userId)).map((w) => walletDto(w));
}

/** One wallet by address: the owner's (or an admin's) view; others get 404. */
export async function getWallet(core: WalletsCore, ctx: RequestContext, address: string): Promise<WalletDto> {
  const row = await walletsRepo.byAddress(core.deps.db, address);
  if (!row || (row.user_id !== ctx.user.id && ctx.user.role !== 'admin')) throw walletError('wallet_not_found');
  return (await withBalances(core, [row]))[0];
}

/** A wallet the caller may spend from: their user wallet or one of their pets' wallets (never someone else's, admins included). */
export async function ownWallet(core: WalletsCore, db: Executor, ctx: { user: { id: string; role: string } }, walletId?: string): Promise<WalletRow> {
  if (!walletId) return ensureUserWallet(core, db, ctx.user.id);
  return spendableBy(await walletsRepo.byId(db, walletId), ctx.user.id);
}

/** The wallet if this user may spend from it (theirs, not the treasury); wallet_not_found otherwise. */
export function spendableBy(row: WalletRow | undefined, userId: string): WalletRow {
  if (!row || row.kind === 'treasury' || row.user_id !== userId) throw walletError('wallet_not_found');
  return row;
}

/**
 * Faucet (embedded chain only): the treasury mints test USDC to one of the caller's wallets and
 * tops its gas up; one grant per wallet per FAUCET_COOLDOWN_SECONDS, at most FAUCET_MAX tokens
 * (422 faucet_limit_exceeded above it).
 */
export async function faucet(core: WalletsCore, ctx: RequestContext, input: { walletId?: string; amount?: string }): Promise<TransactionDto> {
  const chain = core.chain;
  if (!chain?.embedded) throw walletError('faucet_unavailable');
  const amount = parseAmount(input.amount ?? FAUCET_DEFAULT, chain.token.decimals);
  if (amount > FAUCET_MAX * 10n ** BigInt(chain.token.decimals)) {
    throw walletError('faucet_limit_exceeded', { max: String(FAUCET_MAX), token: chain.token.symbol }, [
      { field: 'body.amount', message: 'validation.at_most_amount', params: { max: String(FAUCET_MAX) }, code: 'too_large' },
    ]);
  }
  const row = await withTransaction(core.deps.db, async (trx) => {
    const wallet = await ownWallet(core, trx, ctx, input.walletId);
    await walletsRepo.lock(trx, wallet.id);
    const last = await transactionsRepo.lastFaucet(trx, wallet.id);
    if (last && Date.now() - new Date(last.created_at).getTime() < FAUCET_COOLDOWN_SECONDS * 1000) {
      const seconds = Math.ceil(FAUCET_COOLDOWN_SECONDS - (Date.now() - new Date(last.created_at).getTime()) / 1000);
      throw new AppError(429, 'faucet_cooldown', { seconds }, [], { 'retry-after': String(seconds) });
    }
    const inserted = await insertTreasuryGrant(trx, chain, wallet, {
      type: 'faucet',
      call: 'mint',
      amount,
      token: chain.token.symbol,
      tokenAddress: chain.token.address,
      metadata: {},
    });
    await recordTransferEvent(core, trx, inserted, 'transfer.queued', ctx);
    await scheduleBroadcasts(core, trx, [chain.treasury.walletId]);
    await core.deps.jobs.enqueue(JOBS.gasTopUp, { walletId: wallet.id }, { trx });
    return inserted;
  });
  return transactionDto(core, row);
}
