import { encodeFunctionData, keccak256, parseEther, parseGwei, type Address, type Hex } from 'viem';
import { LRUCache } from 'lru-cache';
import { afterCommit, withTransaction } from '../platform/db/db.transaction.js';
import { erc20Abi } from '../chain/chain.contracts.js';
import { signEip1559 } from '../chain/chain.signer.js';
import { requireChain, type ChainContext } from './wallets.chain.js';
import { JOBS, perCore, type WalletsCore } from './wallets.core.js';
import { recordTransferEvent } from './wallets.events.js';
import { walletsRepo, type WalletRow } from './wallets.repo.js';
import { transactionsRepo, type TransactionRow } from './transactions.repo.js';
import { insertTreasuryGrant } from './treasury.grants.js';
import { sendSigned } from './transfers.send.js';
import { scheduleBroadcasts } from './transfers.accept.js';

/** Gas limits per call: fixed, so signing never depends on a simulation against a moving state. */
export const GAS_LIMITS = { erc20_transfer: 120_000n, mint: 120_000n, native: 21_000n } as const;
/** Gas sponsorship: a user or pet wallet below GAS_MIN_BALANCE is topped up with at least GAS_TOPUP from the treasury. */
export const GAS_MIN_BALANCE = parseEther('0.002');
export const GAS_TOPUP = parseEther('0.01');
const BATCH = 50;
const FEE_CACHE_MS = 2000;

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}
const feeCache = new WeakMap<WalletsCore, { at: number; fees: Promise<Fees> }>();

/** The most any transaction is signed to pay per gas (MAX_FEE_PER_GAS_GWEI), in wei. */
export function feeCap(core: WalletsCore): bigint {
  return parseGwei(core.deps.config.MAX_FEE_PER_GAS_GWEI);
}

/** Fees held under the cap: the max fee no higher than it, the tip no higher than the max fee. */
export function cappedFees(fees: Fees, cap: bigint): Fees {
  const maxFeePerGas = fees.maxFeePerGas < cap ? fees.maxFeePerGas : cap;
  return { maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas < maxFeePerGas ? fees.maxPriorityFeePerGas : maxFeePerGas };
}

/**
 * EIP-1559 fees with headroom (twice the base fee plus the suggested tip) under the fee cap, cached
 * for two seconds. While the base fee is above the cap, what is sent waits in the node's pool.
 */
export function currentFees(core: WalletsCore): Promise<Fees> {
  const cached = feeCache.get(core);
  if (cached && Date.now() - cached.at < FEE_CACHE_MS) return cached.fees;
  const client = core.deps.chain.publicClient;
  const fees = (async () => {
    const [block, tip] = await Promise.all([client.getBlock(), client.estimateMaxPriorityFeePerGas().catch(() => 1_000_000_000n)]);
    const base = block.baseFeePerGas ?? 1_000_000_000n;
    return cappedFees({ maxFeePerGas: base * 2n + tip, maxPriorityFeePerGas: tip }, feeCap(core));
  })();
  fees.catch(() => feeCache.delete(core));
  feeCache.set(core, { at: Date.now(), fees });
  return fees;
}

/**
 * What an ERC-20 transfer is expected to cost in wei, for a preview: the node's gas estimate at the
 * latest base fee plus the tip (under the signed maximum). When the node cannot estimate it (the
 * sender is short of tokens, say), the most it could cost: the fixed gas limit at the maximum fee.
 */
export async function estimateTransferFee(core: WalletsCore, from: string, to: string, amount: bigint): Promise<bigint> {
  const chain = requireChain(core.chain);
  const client = core.deps.chain.publicClient;
  const fees = await currentFees(core);
  try {
    const [gas, block] = await Promise.all([
      client.estimateContractGas({ address: chain.token.address, abi: erc20Abi, functionName: 'transfer', args: [to as Address, amount], account: from as Address }),
      client.getBlock(),
    ]);
    const price = (block.baseFeePerGas ?? 0n) + fees.maxPriorityFeePerGas;
    return gas * (price < fees.maxFeePerGas ? price : fees.maxFeePerGas);
  } catch {
    return GAS_LIMITS.erc20_transfer * fees.maxFeePerGas;
  }
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

/** A batch signed from a next_nonce another signer moved meanwhile; its wallets' remembered rows are dropped. */
class StaleBatch extends Error {
  constructor(readonly walletIds: string[]) {
    super('stale batch');
  }
}

type SealedWallet = Awaited<ReturnType<typeof walletsRepo.sealedWallets>>[number];
/** Sending wallets (with their sealed keys) this node has signed for lately. */
const MAX_SIGNERS = 10_000;
const signers = new WeakMap<WalletsCore, LRUCache<string, SealedWallet>>();

/**
 * The wallets a signing step sends from, read from the database only when this node does not hold
 * them: a wallet's key and address never change, and its next_nonce is the one this node itself
 * stored at its last step's COMMIT. Another writer of that nonce (another node's signer, a
 * re-sync from the chain) is caught under the wallets' row locks before anything is stored: the
 * step drops what it remembered and starts over from the database.
 */
async function sealedFor(core: WalletsCore, walletIds: string[]): Promise<SealedWallet[]> {
  const known = perCore(signers, core, () => new LRUCache<string, SealedWallet>({ max: MAX_SIGNERS }));
  const missing = walletIds.filter((id) => !known.has(id));
  if (missing.length) for (const w of await walletsRepo.sealedWallets(core.deps.db, missing)) known.set(w.id, w);
  return walletIds.flatMap((id) => known.get(id) ?? []);
}

/** What one signing step produced per wallet: the signed bytes to send, and whether more rows wait than a batch holds. */
export type SignedBatches = Map<string, { signed: Hex[]; more: boolean }>;

/**
 * Signs the queued ledger rows of several wallets. The rows and each wallet's next nonce are read
 * and signed outside any lock; then, under the wallets' row locks (taken in id order), every nonce
 * is checked unchanged and all rows are stored pending with their hash and signed bytes (one
 * statement, only rows still queued), the nonces advanced and a delayed confirmation job written
 * (both sent with the COMMIT) — committed before anything leaves the process: a crash after this
 * commit is recovered by re-sending the same bytes, never by signing again with another nonce.
 * If another signer got there first, it starts over. Answers the signed bytes per wallet.
 */
export async function signQueuedMany(core: WalletsCore, walletIds: string[], primary = true): Promise<SignedBatches> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await signOnce(core, walletIds, primary);
    } catch (err) {
      if (!(err instanceof StaleBatch)) throw err;
      for (const walletId of err.walletIds) signers.get(core)?.delete(walletId);
      if (attempt >= 3) throw err;
    }
  }
}

/** signQueuedMany for one wallet. */
export async function signQueued(core: WalletsCore, walletId: string, primary = true): Promise<{ signed: Hex[]; more: boolean }> {
  return (await signQueuedMany(core, [walletId], primary)).get(walletId) ?? { signed: [], more: false };
}

/** Wallets (with their queued rows) that have the gas to send them; the others get a top-up requested (primary runs only). */
async function withGas(core: WalletsCore, wallets: WalletRow[], rows: Map<string, TransactionRow[]>, fees: Fees, primary: boolean): Promise<WalletRow[]> {
  const { deps } = core;
  const checked = await Promise.all(
    wallets.map(async (wallet) => {
      if (wallet.kind === 'treasury') return { wallet, need: 0n, gas: 0n };
      const need = BigInt(rows.get(wallet.id)!.length) * GAS_LIMITS.erc20_transfer * fees.maxFeePerGas;
      return { wallet, need, gas: await deps.chain.batchClient.getBalance({ address: wallet.address as Address }) };
    }),
  );
  for (const { wallet, need, gas } of checked) {
    if (wallet.kind === 'treasury' || gas >= need || !primary) continue;
    if (!(await requestGas(core, wallet.id, need))) await deps.jobs.enqueue(JOBS.broadcast, { walletId: wallet.id }, { startAfterSeconds: 1 });
  }
  return checked.filter((c) => c.wallet.kind === 'treasury' || c.gas >= c.need).map((c) => c.wallet);
}

async function signOnce(core: WalletsCore, walletIds: string[], primary: boolean): Promise<SignedBatches> {
  const chain = requireChain(core.chain);
  const { deps } = core;
  const [sealed, queued] = await Promise.all([sealedFor(core, walletIds), transactionsRepo.queuedForWallets(deps.db, walletIds, BATCH)]);
  const keys = new Map(sealed.map((w) => [w.id, w.encrypted_key]));
  const wallets: WalletRow[] = sealed.map(({ encrypted_key: _sealed, ...wallet }) => wallet);
  const rows = new Map<string, TransactionRow[]>();
  for (const row of queued) rows.set(row.from_wallet_id!, [...(rows.get(row.from_wallet_id!) ?? []), row]);
  const out: SignedBatches = new Map();
  const waiting = wallets.filter((w) => rows.has(w.id));
  if (!waiting.length) return out;
  const fees = await currentFees(core);
  const ready = await withGas(core, waiting, rows, fees, primary);
  if (!ready.length) return out;
  // Signing is CPU work (~0.1 ms a row, ~1 ms without the native binding): the event loop serves requests between wallets.
  const batches: Array<{ wallet: WalletRow; first: bigint; list: TransactionRow[]; signed: Hex[] }> = [];
  for (const wallet of ready) {
    const privateKey = core.vault.open(keys.get(wallet.id)!, wallet.address);
    const first = BigInt(wallet.next_nonce);
    const list = rows.get(wallet.id)!;
    const signed: Hex[] = [];
    for (const [i, row] of list.entries()) signed.push(await signEip1559(privateKey, requestFor(chain, row, first + BigInt(i), fees)));
    batches.push({ wallet, first, list, signed });
    await new Promise((resolve) => setImmediate(resolve));
  }
  return withTransaction(deps.db, async (trx) => {
    const locked = new Map((await walletsRepo.lockMany(trx, ready.map((w) => w.id))).map((w) => [w.id, w]));
    const moved = batches.filter((b) => BigInt(locked.get(b.wallet.id)?.next_nonce ?? -1) !== b.first);
    if (moved.length) throw new StaleBatch(moved.map((b) => b.wallet.id));
    const items = batches.flatMap((b) => b.list.map((row, i) => ({ id: row.id, nonce: b.first + BigInt(i), hash: keccak256(b.signed[i]), rawTx: b.signed[i] })));
    const pending = await transactionsRepo.markPendingMany(trx, items);
    if (pending.length !== items.length) throw new StaleBatch(batches.map((b) => b.wallet.id));
    pending.sort((a, b) => a.from_wallet_id!.localeCompare(b.from_wallet_id!) || Number(a.nonce) - Number(b.nonce));
    for (const row of pending) await recordTransferEvent(core, trx, row, 'transfer.pending');
    await walletsRepo.setNextNonces(trx, batches.map((b) => ({ id: b.wallet.id, nonce: b.first + BigInt(b.list.length) })), { withCommit: true });
    await deps.jobs.enqueueMany(JOBS.confirm, batches.map((b) => ({ walletId: b.wallet.id })), { trx, startAfterSeconds: 3, coalesce: true });
    for (const b of batches) out.set(b.wallet.id, { signed: b.signed, more: b.list.length === BATCH });
    afterCommit(trx, () => {
      const known = signers.get(core);
      for (const b of batches) {
        const w = known?.get(b.wallet.id);
        if (w) known!.set(b.wallet.id, { ...w, next_nonce: String(b.first + BigInt(b.list.length)) });
      }
    });
    return out;
  });
}

/**
 * A wallet is short of gas for its queued rows: a worker tops it up right away, and the top-up's
 * confirmation wakes the wallet again (answers true). Otherwise, or if that fails, a gas top-up job
 * does it and the caller retries the wallet with a delayed job.
 */
async function requestGas(core: WalletsCore, walletId: string, need: bigint): Promise<boolean> {
  if (core.driver.active) {
    try {
      await topUpGas(core, walletId, need);
      return true;
    } catch (err) {
      core.deps.logger.warn({ walletId, reason: String((err as Error)?.message ?? err).split('\n')[0] }, 'gas top-up failed; its job retries it');
    }
  }
  await core.deps.jobs.enqueue(JOBS.gasTopUp, { walletId, need: need.toString() });
  return false;
}

/**
 * One broadcast step for several wallets: signs their queued rows (signQueuedMany), sends every
 * wallet's batch (one JSON-RPC batch on the wire) and tells the confirmation watcher (in-process
 * when this node runs workers, else a job). Answers the wallets that had more rows queued than one
 * batch holds.
 */
export async function broadcastWallets(core: WalletsCore, walletIds: string[], primary = true): Promise<Set<string>> {
  const batches = await signQueuedMany(core, walletIds, primary);
  await Promise.all([...batches].map(([walletId, b]) => sendSigned(core, walletId, b.signed)));
  if (batches.size) {
    if (core.driver.active) core.driver.watch();
    else await core.deps.jobs.enqueueMany(JOBS.confirm, [...batches.keys()].map((walletId) => ({ walletId })));
  }
  return new Set([...batches].filter(([, b]) => b.more).map(([walletId]) => walletId));
}

/** Gas sponsorship: queues a native top-up from the treasury when the wallet runs low (one open top-up at a time). */
export async function topUpGas(core: WalletsCore, walletId: string, need = 0n): Promise<TransactionRow | null> {
  const chain = requireChain(core.chain);
  const { deps } = core;
  const wallet = await walletsRepo.byId(deps.db, walletId);
  if (!wallet || wallet.kind === 'treasury') return null;
  if (await transactionsRepo.openGasTopUp(deps.db, walletId)) return null;
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
    await scheduleBroadcasts(core, trx, [chain.treasury.walletId]);
    return row;
  });
}

/** Re-drives rows left queued or pending by a crash or a lost job (runs every minute). */
export async function reconcile(core: WalletsCore, olderThanSeconds = 30): Promise<number> {
  const stale = await transactionsRepo.staleWallets(core.deps.db, olderThanSeconds);
  for (const s of stale) {
    await core.deps.jobs.enqueue(s.status === 'queued' ? JOBS.broadcast : JOBS.confirm, { walletId: s.from_wallet_id! });
  }
  return stale.length;
}
