import { keccak256, parseTransaction, type Hex } from 'viem';
import { LRUCache } from 'lru-cache';
import { withTransaction } from '../platform/db/db.transaction.js';
import { signEip1559 } from '../chain/chain.signer.js';
import { perCore, type WalletsCore } from './wallets.core.js';
import { walletsRepo } from './wallets.repo.js';
import { transactionsRepo, type TransactionRow } from './transactions.repo.js';
import { cappedFees, currentFees, feeCap, type Fees } from './transfers.broadcast.js';
import { sendSigned } from './transfers.send.js';

/** A row as the confirmation job holds it: its current signed bytes included. */
export type SentRow = TransactionRow & { raw_tx: string | null };

/** A replacement as stored: the row, its new hash and signed bytes. */
export interface Replacement {
  id: string;
  hash: string;
  rawTx: Hex;
}

/**
 * Each fee of a replacement is at least this many percent of the one it replaces: nodes take a
 * transaction with a nonce already in their pool only when both fees rise by 10% or more (geth's
 * default price bump; anvil's is the same), and 25% leaves room for rounding and moves a stuck
 * transaction in fewer steps while the base fee climbs.
 */
const BUMP_PERCENT = 125n;
/** The smallest rise of each fee (percent of the one replaced) a node takes for a same-nonce replacement. */
const NODE_MIN_BUMP_PERCENT = 110n;

/**
 * The fees of a replacement: each one bumped by BUMP_PERCENT, or the current market's when that is
 * higher, held under the fee cap. Null when the cap leaves less than the rise a node requires: the
 * transaction then waits as it is, for the base fee to fall.
 */
export function bumpedFees(sent: Fees, market: Fees, cap: bigint): Fees | null {
  const bump = (v: bigint) => (v * BUMP_PERCENT + 99n) / 100n;
  const tip = bump(sent.maxPriorityFeePerGas) > market.maxPriorityFeePerGas ? bump(sent.maxPriorityFeePerGas) : market.maxPriorityFeePerGas;
  const max = bump(sent.maxFeePerGas) > market.maxFeePerGas ? bump(sent.maxFeePerGas) : market.maxFeePerGas;
  const fees = cappedFees({ maxFeePerGas: max > tip ? max : tip, maxPriorityFeePerGas: tip }, cap);
  const enough = (next: bigint, prev: bigint) => next * 100n >= prev * NODE_MIN_BUMP_PERCENT;
  return enough(fees.maxFeePerGas, sent.maxFeePerGas) && enough(fees.maxPriorityFeePerGas, sent.maxPriorityFeePerGas) ? fees : null;
}

/** Whether a row the node holds unmined was sent (or last replaced) longer ago than REPLACE_STUCK_AFTER_SECONDS. */
export function isStuck(core: WalletsCore, row: SentRow, now = Date.now()): boolean {
  if (!row.raw_tx || !row.submitted_at) return false;
  return now - new Date(row.submitted_at).getTime() >= core.deps.config.REPLACE_STUCK_AFTER_SECONDS * 1000;
}

/**
 * Signs a replacement for each row (same nonce, call and gas limit; fees from bumpedFees) and stores
 * them in one transaction, before anything is sent: a crash after this commit leaves either version
 * to be mined, and the confirmation job knows both hashes. Rows another finalizer or replacer changed
 * meanwhile are left out. Answers the replacements stored, in nonce order.
 */
export async function storeReplacements(core: WalletsCore, walletId: string, rows: SentRow[]): Promise<Replacement[]> {
  if (!rows.length) return [];
  const market = await currentFees(core);
  const cap = feeCap(core);
  const bumps: Array<{ row: SentRow; sent: ReturnType<typeof parseTransaction>; fees: Fees }> = [];
  let capped = 0;
  for (const row of [...rows].sort((a, b) => Number(a.nonce) - Number(b.nonce))) {
    const sent = parseTransaction(row.raw_tx as Hex);
    if (sent.type !== 'eip1559') continue;
    const fees = bumpedFees({ maxFeePerGas: sent.maxFeePerGas!, maxPriorityFeePerGas: sent.maxPriorityFeePerGas! }, market, cap);
    if (fees) bumps.push({ row, sent, fees });
    else capped++;
  }
  if (capped) warnCapped(core, walletId, capped);
  if (!bumps.length) return [];
  const [sealed] = await walletsRepo.sealedWallets(core.deps.db, [walletId]);
  if (!sealed) return [];
  const privateKey = core.vault.open(sealed.encrypted_key, sealed.address);
  const items: Array<Replacement & { oldHash: string }> = [];
  for (const { row, sent, fees } of bumps) {
    const rawTx = await signEip1559(privateKey, {
      type: 'eip1559', chainId: sent.chainId!, nonce: sent.nonce!, to: sent.to!, value: sent.value ?? 0n, data: sent.data, gas: sent.gas!, ...fees,
    });
    items.push({ id: row.id, oldHash: row.hash!, hash: keccak256(rawTx), rawTx });
  }
  const stored = new Set(await withTransaction(core.deps.db, (trx) => transactionsRepo.replaceSigned(trx, items)));
  return items.filter((i) => stored.has(i.id)).map(({ id, hash, rawTx }) => ({ id, hash, rawTx }));
}

const cappedWarnings = new WeakMap<WalletsCore, LRUCache<string, true>>();

/** Warns that a wallet's stuck rows wait under the fee cap: once per wallet per REPLACE_STUCK_AFTER_SECONDS, not on every pass. */
function warnCapped(core: WalletsCore, walletId: string, waiting: number): void {
  const { config, logger } = core.deps;
  const warned = perCore(cappedWarnings, core, () => new LRUCache<string, true>({ max: 10_000, ttl: config.REPLACE_STUCK_AFTER_SECONDS * 1000 }));
  if (warned.has(walletId)) return;
  warned.set(walletId, true);
  logger.warn({ walletId, waiting, maxFeePerGasGwei: config.MAX_FEE_PER_GAS_GWEI }, 'stuck transactions left as they are: a replacement would pass the fee cap');
}

/**
 * Fee bump for transactions the node holds without mining (their fees fell behind the market):
 * stores a replacement of each (storeReplacements) and sends them. Answers the replacements.
 */
export async function replaceStuck(core: WalletsCore, walletId: string, rows: SentRow[]): Promise<Replacement[]> {
  const replaced = await storeReplacements(core, walletId, rows);
  if (!replaced.length) return [];
  core.deps.logger.info({ walletId, replaced: replaced.length }, 'replaced transactions the node held unmined with higher fees');
  await sendSigned(core, walletId, replaced.map((r) => r.rawTx));
  return replaced;
}
