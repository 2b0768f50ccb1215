import {
  encodeFunctionData,
  keccak256,
  parseEther,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  type Address,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { sql } from 'kysely';
import { withTransaction } from '../platform/db/db.transaction.js';
import { erc20Abi } from '../chain/chain.contracts.js';
import { requireChain, type ChainContext } from './wallets.chain.js';
import { JOBS, type WalletsCore } from './wallets.core.js';
import { decimalsOf, recordTransferEvent } from './wallets.events.js';
import { formatAmount } from './wallets.amounts.js';
import { walletsRepo } from './wallets.repo.js';
import { transactionsRepo, type TransactionRow } from './transactions.repo.js';
import { insertTreasuryGrant } from './treasury.grants.js';

/** Gas limits per call: fixed, so signing never depends on a simulation against a moving state. */
export const GAS_LIMITS = { erc20_transfer: 120_000n, mint: 120_000n, native: 21_000n } as const;
/** Gas sponsorship: a user or pet wallet below GAS_MIN_BALANCE is topped up with at least GAS_TOPUP from the treasury. */
export const GAS_MIN_BALANCE = parseEther('0.002');
export const GAS_TOPUP = parseEther('0.01');
const BATCH = 50;
/** How many other wallets one broadcast or confirmation job also serves. */
const FAN_OUT = 8;
const FEE_CACHE_MS = 2000;
/** The watcher waits briefly in-process for a just-sent transaction before re-scheduling itself (a local chain mines at once). */
const SHORT_WAIT_ROUNDS = 4;
const SHORT_WAIT_MS = 150;

interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}
const feeCache = new WeakMap<WalletsCore, { at: number; fees: Promise<Fees> }>();

/** EIP-1559 fees with headroom (twice the base fee plus the suggested tip), cached for two seconds. */
export function currentFees(core: WalletsCore): Promise<Fees> {
  const cached = feeCache.get(core);
  if (cached && Date.now() - cached.at < FEE_CACHE_MS) return cached.fees;
  const client = core.deps.chain.publicClient;
  const fees = (async () => {
    const [block, tip] = await Promise.all([client.getBlock(), client.estimateMaxPriorityFeePerGas().catch(() => 1_000_000_000n)]);
    const base = block.baseFeePerGas ?? 1_000_000_000n;
    return { maxFeePerGas: base * 2n + tip, maxPriorityFeePerGas: tip };
  })();
  fees.catch(() => feeCache.delete(core));
  feeCache.set(core, { at: Date.now(), fees });
  return fees;
}

function requestFor(chain: ChainContext, row: TransactionRow, nonce: bigint, fees: Fees) {
  const common = { chainId: chain.chainId, nonce: Number(nonce), type: 'eip1559' as const, ...fees };
  const amount = BigInt(row.amount);
  switch (row.call) {
    case 'native':
      return { ...common, to: row.to_address as Address, value: amount, gas: GAS_LIMITS.native };
    case 'mint':
      return {
        ...common,
        to: row.token_address as Address,
        value: 0n,
        gas: GAS_LIMITS.mint,
        data: encodeFunctionData({ abi: erc20Abi, functionName: 'mint', args: [row.to_address as Address, amount] }),
      };
    case 'erc20_transfer':
      return {
        ...common,
        to: row.token_address as Address,
        value: 0n,
        gas: GAS_LIMITS.erc20_transfer,
        data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [row.to_address as Address, amount] }),
      };
    default:
      throw new Error(`ledger row ${row.id} cannot be broadcast (${row.call})`);
  }
}

async function sendRaw(core: WalletsCore, walletId: string, raw: Hex): Promise<void> {
  try {
    await core.deps.chain.publicClient.sendRawTransaction({ serializedTransaction: raw });
  } catch (err) {
    const message = String((err as Error).message ?? err);
    if (/already known|nonce too low|known transaction|replacement transaction underpriced/i.test(message)) return;
    if (/insufficient funds/i.test(message)) await core.deps.jobs.enqueue(JOBS.gasTopUp, { walletId });
    core.deps.logger.warn({ walletId, reason: message.split('\n')[0] }, 'broadcast failed; the confirmation watcher will re-send');
  }
}

/**
 * Signs a wallet's queued ledger rows. Under the wallet's row lock each row gets the next nonce,
 * is signed, and is stored as pending with its hash and signed bytes (and a delayed confirmation
 * job) before anything leaves the process: a crash after this commit is recovered by re-sending
 * the same bytes, never by signing again with another nonce. Answers the signed bytes to send.
 */
export async function signQueued(core: WalletsCore, walletId: string, primary = true): Promise<{ signed: Hex[]; more: boolean }> {
  const chain = requireChain(core.chain);
  const { deps } = core;
  const wallet = await walletsRepo.byId(deps.db, walletId);
  if (!wallet) return { signed: [], more: false };
  const fees = await currentFees(core);
  if (wallet.kind !== 'treasury') {
    const queued = await deps.db
      .selectFrom('transactions')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('from_wallet_id', '=', walletId)
      .where('status', '=', 'queued')
      .executeTakeFirstOrThrow();
    if (queued.n === 0) return { signed: [], more: false };
    const need = BigInt(Math.min(queued.n, BATCH)) * GAS_LIMITS.erc20_transfer * fees.maxFeePerGas;
    const gas = await deps.chain.publicClient.getBalance({ address: wallet.address as Address });
    if (gas < need) {
      if (!primary) return { signed: [], more: false };
      await deps.jobs.enqueue(JOBS.gasTopUp, { walletId, need: need.toString() });
      await deps.jobs.enqueue(JOBS.broadcast, { walletId }, { startAfterSeconds: 1 });
      return { signed: [], more: false };
    }
  }
  return withTransaction(deps.db, async (trx) => {
    const locked = await walletsRepo.lock(trx, walletId);
    const rows = await transactionsRepo.queuedForWallet(trx, walletId, BATCH);
    if (!locked || !rows.length) return { signed: [] as Hex[], more: false };
    const sealed = await walletsRepo.sealedKey(trx, walletId);
    const account = privateKeyToAccount(core.vault.open(sealed!.encrypted_key, sealed!.address));
    let nonce = BigInt(locked.next_nonce);
    const signed: Hex[] = [];
    for (const row of rows) {
      const raw = await account.signTransaction(requestFor(chain, row, nonce, fees));
      const pending = await transactionsRepo.markPending(trx, row.id, { nonce, hash: keccak256(raw), rawTx: raw });
      await recordTransferEvent(core, trx, pending, 'transfer.pending');
      signed.push(raw);
      nonce += 1n;
    }
    await walletsRepo.setNextNonce(trx, walletId, nonce);
    await deps.jobs.enqueue(JOBS.confirm, { walletId }, { trx, startAfterSeconds: 3 });
    return { signed, more: rows.length === BATCH };
  });
}

/** The broadcast job: signs the wallet's queued rows (signQueued), sends them, and asks the watcher to look now. */
export async function broadcastWallet(core: WalletsCore, walletId: string, primary = true): Promise<void> {
  const { signed, more } = await signQueued(core, walletId, primary);
  for (const raw of signed) await sendRaw(core, walletId, raw);
  if (signed.length) await core.deps.jobs.enqueue(JOBS.confirm, { walletId });
  if (more) await core.deps.jobs.enqueue(JOBS.broadcast, { walletId });
}

async function receiptOf(core: WalletsCore, hash: Hex): Promise<TransactionReceipt | null> {
  try {
    return await core.deps.chain.publicClient.getTransactionReceipt({ hash });
  } catch (err) {
    if (err instanceof TransactionReceiptNotFoundError) return null;
    throw err;
  }
}

async function knownToNode(core: WalletsCore, hash: Hex): Promise<boolean> {
  try {
    await core.deps.chain.publicClient.getTransaction({ hash });
    return true;
  } catch (err) {
    if (err instanceof TransactionNotFoundError) return false;
    throw err;
  }
}

/** Moves a pending row to confirmed or failed exactly once (row lock + status check), recording the event and running hooks. */
export async function finalizeRow(
  core: WalletsCore,
  id: string,
  outcome: { receipt: TransactionReceipt } | { error: string },
): Promise<TransactionRow | null> {
  return withTransaction(core.deps.db, async (trx) => {
    const row = await transactionsRepo.lock(trx, id);
    if (!row || row.status !== 'pending') return null;
    const receipt = 'receipt' in outcome ? outcome.receipt : null;
    const ok = receipt?.status === 'success';
    const updated = await transactionsRepo.finalize(trx, id, {
      status: ok ? 'confirmed' : 'failed',
      blockNumber: receipt?.blockNumber ?? null,
      gasUsed: receipt?.gasUsed ?? null,
      gasFee: receipt ? receipt.gasUsed * receipt.effectiveGasPrice : null,
      error: ok ? null : 'error' in outcome ? outcome.error : 'reverted',
    });
    await recordTransferEvent(core, trx, updated, ok ? 'transfer.confirmed' : 'transfer.failed');
    if (ok && updated.type === 'faucet' && updated.to_wallet_id) {
      await core.deps.events.record(trx, {
        type: 'wallet.funded',
        actorId: updated.to_user_id,
        userIds: updated.to_user_id ? [updated.to_user_id] : [],
        petId: updated.pet_id,
        data: { walletId: updated.to_wallet_id, address: updated.to_address, amount: formatAmount(updated.amount, decimalsOf(core, updated.token)) },
      });
    }
    for (const hook of core.finalizeHooks) await hook(trx, updated);
    return updated;
  });
}

/**
 * The confirmation watcher for one wallet: reads each pending row's receipt; with enough
 * confirmations the row becomes confirmed (block, gas used, fee) or failed (reverted). A row the
 * node does not know is re-sent from its stored signed bytes; one whose nonce the chain has
 * already used for something else can never land and fails. Re-schedules itself while rows remain.
 */
export async function confirmWallet(core: WalletsCore, walletId: string, primary = true): Promise<void> {
  let rows = await transactionsRepo.pendingForWallet(core.deps.db, walletId, 200);
  for (let round = 0; rows.length && round < SHORT_WAIT_ROUNDS; round++) {
    const waiting = await confirmRows(core, walletId, rows, round === 0);
    if (!waiting.length) return;
    rows = waiting;
    await new Promise((r) => setTimeout(r, SHORT_WAIT_MS));
  }
  if (rows.length && primary) await core.deps.jobs.enqueue(JOBS.confirm, { walletId }, { startAfterSeconds: 1 });
}

/** One pass of the watcher over some pending rows; answers those still waiting for (enough) confirmations. */
async function confirmRows(core: WalletsCore, walletId: string, rows: Array<TransactionRow & { raw_tx: string | null }>, resend: boolean) {
  const chain = requireChain(core.chain);
  const client = core.deps.chain.publicClient;
  const latest = await client.getBlockNumber({ cacheTime: 0 });
  let chainNonce: Promise<number> | null = null;
  const waiting: typeof rows = [];
  await Promise.all(
    rows.map(async (row) => {
      const hash = row.hash as Hex;
      const receipt = await receiptOf(core, hash);
      if (receipt) {
        if (latest - receipt.blockNumber + 1n >= BigInt(chain.confirmations)) await finalizeRow(core, row.id, { receipt });
        else waiting.push(row);
        return;
      }
      if (!resend || (await knownToNode(core, hash))) {
        waiting.push(row);
        return;
      }
      chainNonce ??= client.getTransactionCount({ address: row.from_address as Address, blockNumber: latest });
      if (BigInt(row.nonce!) < BigInt(await chainNonce)) {
        if (await receiptOf(core, hash)) {
          waiting.push(row);
          return;
        }
        await finalizeRow(core, row.id, { error: 'nonce_consumed' });
        return;
      }
      await sendRaw(core, walletId, row.raw_tx as Hex);
      waiting.push(row);
    }),
  );
  return waiting;
}

/** Gas sponsorship: queues a native top-up from the treasury when the wallet runs low (one open top-up at a time). */
export async function topUpGas(core: WalletsCore, walletId: string, need = 0n): Promise<TransactionRow | null> {
  const chain = requireChain(core.chain);
  const { deps } = core;
  const wallet = await walletsRepo.byId(deps.db, walletId);
  if (!wallet || wallet.kind === 'treasury') return null;
  const floor = need > GAS_MIN_BALANCE ? need : GAS_MIN_BALANCE;
  const balance = await deps.chain.publicClient.getBalance({ address: wallet.address as Address });
  if (balance >= floor) return null;
  const amount = floor * 2n > GAS_TOPUP ? floor * 2n : GAS_TOPUP;
  return withTransaction(deps.db, async (trx) => {
    await walletsRepo.lock(trx, chain.treasury.walletId);
    if (await transactionsRepo.openGasTopUp(trx, walletId)) return null;
    const row = await insertTreasuryGrant(trx, chain, wallet, {
      type: 'gas',
      call: 'native',
      amount,
      token: 'ETH',
      tokenAddress: null,
      metadata: { reason: 'gas_sponsorship' },
    });
    await deps.jobs.enqueue(JOBS.broadcast, { walletId: chain.treasury.walletId }, { trx });
    return row;
  });
}

/**
 * Runs a per-wallet step for the job's wallet and, in parallel, for up to FAN_OUT other wallets in
 * the same state: wallets never share a nonce or a row lock, so one job runner serves many wallets
 * at once, and a wallet another runner is already serving is simply found empty. Only the job's own
 * wallet re-schedules itself (every busy wallet has its own job), so jobs never multiply.
 */
export async function fanOut(
  core: WalletsCore,
  walletId: string,
  status: 'queued' | 'pending',
  step: (walletId: string, primary: boolean) => Promise<void>,
): Promise<void> {
  const others = (await transactionsRepo.walletsWith(core.deps.db, status, FAN_OUT)).filter((id) => id !== walletId);
  const results = await Promise.allSettled([walletId, ...others].map((id) => step(id, id === walletId)));
  const mine = results[0];
  if (mine.status === 'rejected') throw mine.reason;
  for (const r of results.slice(1)) {
    if (r.status === 'rejected') core.deps.logger.warn({ reason: String((r.reason as Error)?.message ?? r.reason).split('\n')[0] }, 'parallel wallet step failed; its own job retries it');
  }
}

/** Re-drives rows left queued or pending by a crash or a lost job (runs every minute). */
export async function reconcile(core: WalletsCore, olderThanSeconds = 30): Promise<number> {
  const stale = await transactionsRepo.staleWallets(core.deps.db, olderThanSeconds);
  for (const s of stale) {
    await core.deps.jobs.enqueue(s.status === 'queued' ? JOBS.broadcast : JOBS.confirm, { walletId: s.from_wallet_id! });
  }
  return stale.length;
}
