import { encodeFunctionData, keccak256, parseEther, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { withTransaction } from '../platform/db/db.transaction.js';
import { erc20Abi } from '../chain/chain.contracts.js';
import { requireChain, type ChainContext } from './wallets.chain.js';
import { JOBS, type WalletsCore } from './wallets.core.js';
import { recordTransferEvent } from './wallets.events.js';
import { walletsRepo } from './wallets.repo.js';
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

class StaleBatch extends Error {}

/**
 * Signs a wallet's queued ledger rows. The rows and the wallet's next nonce are read and signed
 * outside any lock; then, under the wallet's row lock, the nonce is checked unchanged and the rows
 * are stored pending with their hash and signed bytes (one statement, only rows still queued) plus
 * a delayed confirmation job — committed before anything leaves the process: a crash after this
 * commit is recovered by re-sending the same bytes, never by signing again with another nonce.
 * If another signer got there first, it starts over. Answers the signed bytes to send.
 */
export async function signQueued(core: WalletsCore, walletId: string, primary = true): Promise<{ signed: Hex[]; more: boolean }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await signOnce(core, walletId, primary);
    } catch (err) {
      if (!(err instanceof StaleBatch) || attempt >= 3) throw err;
    }
  }
}

async function signOnce(core: WalletsCore, walletId: string, primary: boolean): Promise<{ signed: Hex[]; more: boolean }> {
  const chain = requireChain(core.chain);
  const { deps } = core;
  const [wallet, rows] = await Promise.all([walletsRepo.byId(deps.db, walletId), transactionsRepo.queuedForWallet(deps.db, walletId, BATCH)]);
  if (!wallet || !rows.length) return { signed: [], more: false };
  const fees = await currentFees(core);
  if (wallet.kind !== 'treasury') {
    const need = BigInt(rows.length) * GAS_LIMITS.erc20_transfer * fees.maxFeePerGas;
    const gas = await deps.chain.batchClient.getBalance({ address: wallet.address as Address });
    if (gas < need) {
      if (!primary) return { signed: [], more: false };
      if (!(await requestGas(core, walletId, need))) await deps.jobs.enqueue(JOBS.broadcast, { walletId }, { startAfterSeconds: 1 });
      return { signed: [], more: false };
    }
  }
  const sealed = await walletsRepo.sealedKey(deps.db, walletId);
  const account = privateKeyToAccount(core.vault.open(sealed!.encrypted_key, sealed!.address));
  const first = BigInt(wallet.next_nonce);
  const signed = await Promise.all(rows.map((row, i) => account.signTransaction(requestFor(chain, row, first + BigInt(i), fees))));
  return withTransaction(deps.db, async (trx) => {
    const locked = await walletsRepo.lock(trx, walletId);
    if (!locked || BigInt(locked.next_nonce) !== first) throw new StaleBatch();
    const pending = await transactionsRepo.markPendingMany(
      trx,
      rows.map((row, i) => ({ id: row.id, nonce: first + BigInt(i), hash: keccak256(signed[i]), rawTx: signed[i] })),
    );
    if (pending.length !== rows.length) throw new StaleBatch();
    pending.sort((a, b) => Number(a.nonce) - Number(b.nonce));
    for (const row of pending) await recordTransferEvent(core, trx, row, 'transfer.pending');
    await walletsRepo.setNextNonce(trx, walletId, first + BigInt(rows.length));
    await deps.jobs.enqueue(JOBS.confirm, { walletId }, { trx, startAfterSeconds: 3 });
    return { signed, more: rows.length === BATCH };
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
 * One broadcast step for a wallet: signs its queued rows (signQueued), sends them in one batch and
 * tells the confirmation watcher (in-process when this node runs workers, else a job). Answers
 * whether more rows were left queued than one batch holds.
 */
export async function broadcastWallet(core: WalletsCore, walletId: string, primary = true): Promise<boolean> {
  const { signed, more } = await signQueued(core, walletId, primary);
  await sendSigned(core, walletId, signed);
  if (signed.length) {
    if (core.driver.active) core.driver.watch();
    else await core.deps.jobs.enqueue(JOBS.confirm, { walletId });
  }
  return more;
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
