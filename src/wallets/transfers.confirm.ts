import {
  formatTransactionReceipt,
  TransactionNotFoundError,
  type Address,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
} from 'viem';
import { afterCommit, withTransaction, type Tx } from '../platform/db/db.transaction.js';
import { isFinal, requireChain } from './wallets.chain.js';
import { JOBS, type WalletsCore } from './wallets.core.js';
import { decimalsOf, recordTransferEvent } from './wallets.events.js';
import { formatAmount } from './wallets.amounts.js';
import { transactionsRepo, type Finalization, type Settlement, type TransactionRow } from './transactions.repo.js';
import { withSettlements } from './transactions.external.js';
import { sendSigned } from './transfers.send.js';
import { forgetSnapshot } from './transfers.accept.js';
import { isStuck, replaceStuck, type SentRow } from './transfers.replace.js';

/** The watcher waits briefly in-process for a just-sent transaction before re-scheduling itself (a local chain mines at once). */
const SHORT_WAIT_ROUNDS = 4;
const SHORT_WAIT_MS = 150;
/** How many pending rows one pass of the confirmation watcher looks at. */
const WATCH_LIMIT = 500;

/** How a row ends: its receipt (with the hash mined, when a version the row replaced was), or why it failed. */
type Outcome = { receipt: TransactionReceipt; minedHash?: string; settled?: Settlement } | { error: string };
type PendingRow = SentRow & { replaced_hashes: string[] };

/**
 * The receipt, or null while the transaction is not mined. Asked with the raw JSON-RPC call:
 * viem's getTransactionReceipt throws for a missing receipt, and building that error (message,
 * docs link, stack) for every row still waiting was 2% of the server's time at full load.
 */
async function receiptOf(client: PublicClient, hash: Hex): Promise<TransactionReceipt | null> {
  const raw = await client.request({ method: 'eth_getTransactionReceipt', params: [hash] });
  return raw ? formatTransactionReceipt(raw) : null;
}

async function knownToNode(client: PublicClient, hash: Hex): Promise<boolean> {
  try {
    await client.getTransaction({ hash });
    return true;
  } catch (err) {
    if (err instanceof TransactionNotFoundError) return false;
    throw err;
  }
}

function finalization(outcome: Outcome): Finalization {
  const receipt = 'receipt' in outcome ? outcome.receipt : null;
  const ok = receipt?.status === 'success';
  return {
    status: ok ? 'confirmed' : 'failed',
    blockNumber: receipt?.blockNumber ?? null,
    gasUsed: receipt?.gasUsed ?? null,
    gasFee: receipt ? receipt.gasUsed * receipt.effectiveGasPrice : null,
    error: ok ? null : 'error' in outcome ? outcome.error : 'reverted',
    minedHash: 'minedHash' in outcome ? outcome.minedHash : undefined,
  };
}

/**
 * Moves pending rows to confirmed or failed exactly once, all in one transaction: the rows still
 * pending are locked (in id order), updated with one statement guarded by `status = 'pending'`, and
 * each gets its event and finalize hooks. Answers the rows this call finalized (a row another
 * finalizer got first is simply not among them). The watcher and the confirmation job skip rows
 * another finalizer holds (it finishes them, or they stay pending for the next pass) instead of
 * waiting for its commit; a single row asked for by a user waits, so it answers the row's outcome.
 */
export async function finalizeMany(core: WalletsCore, items: Array<{ id: string } & Outcome>, opts: { skipLocked?: boolean } = {}): Promise<TransactionRow[]> {
  if (!items.length) return [];
  return withTransaction(core.deps.db, async (trx) => {
    const lockedIds = new Set(await transactionsRepo.lockPending(trx, items.map((i) => i.id), opts.skipLocked));
    const still = items.filter((i) => lockedIds.has(i.id));
    if (!still.length) return [];
    const finalized = await transactionsRepo.finalizeMany(trx, still.map((i) => ({ id: i.id, ...finalization(i) })));
    const updated = await settle(trx, finalized, still);
    for (const row of updated) {
      const ok = row.status === 'confirmed';
      // money reached the wallet: its next spend reads the chain again (a gas top-up moves no tokens)
      if (ok && row.to_wallet_id && row.call !== 'native') forgetSnapshot(core, row.to_wallet_id);
      await recordTransferEvent(core, trx, row, ok ? 'transfer.confirmed' : 'transfer.failed');
      if (ok && row.type === 'faucet' && row.to_wallet_id) {
        await core.deps.events.record(trx, {
          type: 'wallet.funded',
          actorId: row.to_user_id,
          userIds: row.to_user_id ? [row.to_user_id] : [],
          petId: row.pet_id,
          data: { walletId: row.to_wallet_id, address: row.to_address, amount: formatAmount(row.amount, decimalsOf(core, row.token)) },
        });
      }
      for (const hook of core.finalizeHooks) await hook(trx, row);
      if (ok && row.type === 'gas' && row.to_wallet_id) wakeFunded(core, trx, row.to_wallet_id);
    }
    return updated;
  });
}

/** Finalized rows recorded from outside StreakPets, with what their receipts say they moved stored (the chain's word wins). */
async function settle(trx: Tx, finalized: TransactionRow[], items: Array<{ id: string } & Outcome>): Promise<TransactionRow[]> {
  const done = new Set(finalized.map((r) => r.id));
  const settlements = items.flatMap((i) => ('settled' in i && i.settled && done.has(i.id) ? [{ id: i.id, ...i.settled }] : []));
  if (!settlements.length) return finalized;
  const settled = new Map((await transactionsRepo.settleExternal(trx, settlements)).map((r) => [r.id, r]));
  return finalized.map((r) => settled.get(r.id) ?? r);
}

/** A wallet whose gas top-up just confirmed may have transfers waiting for it: broadcast them once this commits. */
function wakeFunded(core: WalletsCore, trx: Tx, walletId: string): void {
  if (!core.driver.active) return;
  afterCommit(trx, () => {
    core.driver.broadcast(walletId).catch(() => undefined);
  });
}

/** Moves one pending row to confirmed or failed exactly once (finalizeMany with one row); null when it was no longer pending. */
export async function finalizeRow(core: WalletsCore, id: string, outcome: Outcome): Promise<TransactionRow | null> {
  return (await finalizeMany(core, [{ id, ...outcome }]))[0] ?? null;
}

/**
 * One pass of the confirmation watcher over the pending rows of the wallets this node owns (all of
 * them on a single worker; with several, the worker ring gives each wallet to one, so the nodes do
 * not all read every receipt): the latest block number and every receipt are read in one JSON-RPC
 * batch, and the rows with enough confirmations are finalized in one transaction. Rows without a
 * receipt, or of a wallet no node took while the ring's views differ, are left to their wallet's
 * confirmation job, which re-sends what the node lost. Answers what it finalized and how many of
 * its rows still wait.
 */
export async function confirmPending(core: WalletsCore): Promise<{ finalized: TransactionRow[]; waiting: number }> {
  const { workers } = core.deps;
  const rows = (await transactionsRepo.pendingRows(core.deps.db, WATCH_LIMIT)).filter((r) => workers.owns(r.from_wallet_id ?? r.id));
  if (!rows.length) return { finalized: [], waiting: 0 };
  const { ready } = await readReceipts(core, rows);
  const finalized = await finalizeMany(core, await withSettlements(core, rows, ready), { skipLocked: true });
  return { finalized, waiting: rows.length - ready.length };
}

/**
 * The latest block number and the receipt of every row, in one JSON-RPC batch, sorted: rows with
 * enough confirmations (ready, with their receipt), mined rows still short of them (young), and
 * rows without a receipt (missing).
 */
async function readReceipts<R extends { id: string; hash: string | null }>(core: WalletsCore, rows: R[]) {
  const chain = requireChain(core.chain);
  const client = core.deps.chain.batchClient;
  const [latest, ...receipts] = await Promise.all([client.getBlockNumber({ cacheTime: 0 }), ...rows.map((row) => receiptOf(client, row.hash as Hex))]);
  const ready: Array<{ id: string; receipt: TransactionReceipt }> = [];
  const young: R[] = [];
  const missing: R[] = [];
  rows.forEach((row, i) => {
    const receipt = receipts[i];
    if (!receipt) missing.push(row);
    else if (isFinal(chain, receipt.blockNumber, latest)) ready.push({ id: row.id, receipt });
    else young.push(row);
  });
  return { latest, ready, young, missing };
}

/**
 * The confirmation job for one wallet: reads each pending row's receipt; with enough
 * confirmations the row becomes confirmed (block, gas used, fee) or failed (reverted). A row the
 * node does not know is re-sent from its stored signed bytes; one whose nonce the chain has
 * already used for something else can never land and fails. Re-schedules itself while rows remain
 * (after `retryAfterSeconds`; longer when an in-process watcher also looks at every new block).
 */
export async function confirmWallet(core: WalletsCore, walletId: string, primary = true, retryAfterSeconds = 1): Promise<void> {
  let rows = await transactionsRepo.pendingForWallet(core.deps.db, walletId, 200);
  for (let round = 0; rows.length && round < SHORT_WAIT_ROUNDS; round++) {
    const waiting = await confirmRows(core, walletId, rows, round === 0);
    if (!waiting.length) return;
    rows = waiting;
    await new Promise((r) => setTimeout(r, SHORT_WAIT_MS));
  }
  if (rows.length && primary) await core.deps.jobs.enqueue(JOBS.confirm, { walletId }, { startAfterSeconds: retryAfterSeconds });
}

/**
 * One pass of the confirmation job over some pending rows: the block number and every receipt in
 * one JSON-RPC batch, the rows with enough confirmations finalized in one transaction; a row without
 * a receipt is checked alone (re-sent, or failed when its nonce went to something else). On the
 * embedded chain, which mines every transaction as it arrives, a row the node holds unmined gets
 * a block mined for it. Answers the rows still waiting for (enough) confirmations.
 */
async function confirmRows(core: WalletsCore, walletId: string, rows: PendingRow[], resend: boolean): Promise<PendingRow[]> {
  const client = core.deps.chain.batchClient;
  const { latest, ready, young, missing } = await readReceipts(core, rows);
  await finalizeMany(core, ready, { skipLocked: true });
  if (!resend) return [...young, ...missing];
  const waiting = [...young];
  const unmined: PendingRow[] = [];
  let chainNonce: Promise<number> | null = null;
  await Promise.all(
    missing.map(async (row) => {
      const hash = row.hash as Hex;
      if (await knownToNode(client, hash)) {
        unmined.push(row);
        return;
      }
      // a mint's ledger sender is the zero address; the treasury signed it
      const signer = row.call === 'mint' ? requireChain(core.chain).treasury.address : (row.from_address as Address);
      chainNonce ??= client.getTransactionCount({ address: signer, blockNumber: latest });
      if (BigInt(row.nonce!) < BigInt(await chainNonce)) {
        if (await receiptOf(client, hash)) {
          waiting.push(row);
          return;
        }
        const replaced = await minedReplaced(client, row);
        if (replaced && !isFinal(requireChain(core.chain), replaced.receipt.blockNumber, latest)) {
          waiting.push(row);
          return;
        }
        await finalizeRow(core, row.id, replaced ?? { error: 'nonce_consumed' });
        return;
      }
      await sendSigned(core, walletId, [row.raw_tx as Hex]);
      waiting.push(row);
    }),
  );
  const replacements = new Map((await replaceStuck(core, walletId, unmined.filter((row) => isStuck(core, row)))).map((r) => [r.id, r]));
  for (const row of unmined) {
    const r = replacements.get(row.id);
    waiting.push(r ? { ...row, hash: r.hash, raw_tx: r.rawTx, replaced_hashes: [...row.replaced_hashes, row.hash!] } : row);
  }
  // anvil's automine now and then leaves ready transactions in its pool for good (foundry-rs/foundry#10122)
  if (unmined.length && core.deps.chain.embedded) await core.deps.chain.mine();
  return waiting;
}

/** The receipt of a version a fee bump replaced, when that is the one the chain mined (the row's nonce is used and its current hash is not). */
async function minedReplaced(client: PublicClient, row: PendingRow): Promise<{ receipt: TransactionReceipt; minedHash: string } | null> {
  for (const hash of row.replaced_hashes) {
    const receipt = await receiptOf(client, hash as Hex);
    if (receipt) return { receipt, minedHash: hash };
  }
  return null;
}
