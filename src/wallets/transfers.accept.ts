import { uuidv7 } from 'uuidv7';
import { parseUnits, type Address } from 'viem';
import { afterCommit, type Tx } from '../platform/db/db.transaction.js';
import type { ActorContext } from '../platform/http/http.context.js';
import { erc20Abi } from '../chain/chain.contracts.js';
import { formatAmount } from './wallets.amounts.js';
import { requireChain } from './wallets.chain.js';
import { BROADCAST_CHANNEL, JOBS, perCore, type WalletsCore } from './wallets.core.js';
import { walletError } from './wallets.errors.js';
import { recordTransferEvent } from './wallets.events.js';
import { walletsRepo, type WalletRow } from './wallets.repo.js';
import { transactionsRepo, type NewTransaction, type TransactionRow } from './transactions.repo.js';
import type { TxType } from './wallets.tables.js';

export interface Recipient {
  address: string;
  walletId: string | null;
  userId: string | null;
  petId: string | null;
  via: 'address' | 'email' | 'basename';
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
  /** The caller-scoped Idempotency-Key of the request, kept on the ledger row (unique). */
  requestKey?: string | null;
  context?: ActorContext;
}

interface ChainSnapshot {
  balance: bigint;
  nonce: bigint;
}
/**
 * How long a wallet's chain snapshot is used as it is. An old snapshot is still safe: every
 * transfer sent since carries a nonce at or above the snapshot's and stays subtracted, and money
 * received since is only left out — a shortfall is re-checked against the chain before a transfer
 * is refused. The check sums every row sent since the snapshot, so a younger one is a cheaper check.
 * Past this age the snapshot is refreshed in the background (two reads in one JSON-RPC batch) while
 * batches go on using it, so an accept batch does not wait for the node (anvil pauses while it
 * writes its state file); only a wallet without one, or with one past SNAPSHOT_MAX_AGE_MS, waits.
 */
const SNAPSHOT_TTL_MS = 5_000;
const SNAPSHOT_MAX_AGE_MS = 60_000;
/** A shortfall seen in a snapshot older than this is re-checked against the chain before refusing. */
const RECHECK_AFTER_MS = 250;
/** How long the durable broadcast job waits: a driver woken at the commit normally handles the wallet first. */
const FALLBACK_AFTER_SECONDS = 5;
interface CachedSnapshot {
  at: number;
  value: Promise<ChainSnapshot>;
  /** Set while a background refresh of this snapshot runs. */
  refreshing?: boolean;
}
const snapshots = new WeakMap<WalletsCore, Map<string, CachedSnapshot>>();

/** A wallet's token balance and nonce read at one block, and when the read began. */
function readSnapshot(core: WalletsCore, wallet: WalletRow): CachedSnapshot {
  const chain = requireChain(core.chain);
  const client = core.deps.chain.batchClient;
  const address = wallet.address as Address;
  const at = Date.now();
  const value = (async () => {
    for (let attempt = 1; ; attempt++) {
      const block = await client.getBlockNumber({ cacheTime: 0 });
      try {
        const [balance, nonce] = await Promise.all([
          client.readContract({ address: chain.token.address, abi: erc20Abi, functionName: 'balanceOf', args: [address], blockNumber: block }),
          client.getTransactionCount({ address, blockNumber: block }),
        ]);
        return { balance, nonce: BigInt(nonce) };
      } catch (err) {
        // nodes keep the state of recent blocks only (the embedded anvil 64, full nodes about 128): a
        // block that aged out between the two calls is asked for again at the new head
        if (attempt === 2) throw err;
      }
    }
  })();
  return { at, value };
}

/**
 * A wallet's chain snapshot: the cached one while younger than SNAPSHOT_TTL_MS; an older one (up to
 * SNAPSHOT_MAX_AGE_MS) while a refresh replaces it in the background; else, or when fresh is asked
 * for, a new read.
 */
function chainSnapshot(core: WalletsCore, wallet: WalletRow, fresh: boolean): CachedSnapshot {
  const cache = perCore(snapshots, core, () => new Map<string, CachedSnapshot>());
  const hit = cache.get(wallet.id);
  const age = hit ? Date.now() - hit.at : Infinity;
  if (!fresh && hit && age < SNAPSHOT_TTL_MS) return hit;
  if (!fresh && hit && age < SNAPSHOT_MAX_AGE_MS) {
    if (!hit.refreshing) {
      hit.refreshing = true;
      const next = readSnapshot(core, wallet);
      next.value.then(
        () => cache.get(wallet.id) === hit && cache.set(wallet.id, next),
        () => (hit.refreshing = false),
      );
    }
    return hit;
  }
  const entry = readSnapshot(core, wallet);
  entry.value.catch(() => cache.get(wallet.id) === entry && cache.delete(wallet.id));
  cache.set(wallet.id, entry);
  if (cache.size > 10_000) cache.clear();
  return entry;
}

/** Money reached a wallet (a confirmed transfer to it): its next spend reads a fresh snapshot instead of one that misses it. */
export function forgetSnapshot(core: WalletsCore, walletId: string): void {
  snapshots.get(core)?.delete(walletId);
}

/** A locked wallet's spendable balance while a batch is decided: what the chain and ledger allow, minus what the batch took. */
interface Spendable {
  wallet: WalletRow;
  entry: CachedSnapshot;
  available: bigint;
}

/**
 * Spendable token balances of locked wallets, computed under their locks: a chain snapshot per
 * wallet (balance and nonce at one block, up to SNAPSHOT_TTL_MS old) minus every outgoing row the
 * snapshot cannot reflect yet; with it, what the `limited` users sent today. One query for all.
 */
async function spendable(core: WalletsCore, trx: Tx, wallets: WalletRow[], opts: { fresh?: boolean; limited?: string[] } = {}) {
  const chain = requireChain(core.chain);
  const entries = wallets.map((w) => chainSnapshot(core, w, opts.fresh ?? false));
  const snaps = await Promise.all(entries.map((e) => e.value));
  const totals = await transactionsRepo.spendingTotals(trx, {
    userIds: opts.limited ?? [],
    token: chain.token.symbol,
    wallets: wallets.map((w, i) => ({ id: w.id, nonce: snaps[i].nonce })),
    tokenAddress: chain.token.address,
  });
  const balances: Spendable[] = wallets.map((wallet, i) => ({ wallet, entry: entries[i], available: snaps[i].balance - (totals.inFlight.get(wallet.id) ?? 0n) }));
  return { balances, sentToday: totals.sentToday };
}

/** A stale snapshot can only under-state what is spendable, so a shortfall seen in an older one is re-checked fresh. */
async function recheck(core: WalletsCore, trx: Tx, s: Spendable, takenInBatch: bigint): Promise<void> {
  if (Date.now() - s.entry.at < RECHECK_AFTER_MS) return;
  const [fresh] = (await spendable(core, trx, [s.wallet], { fresh: true })).balances;
  s.entry = fresh.entry;
  s.available = fresh.available - takenInBatch;
}

const unique = (values: Array<string | null>): string[] => [...new Set(values.filter((v): v is string => !!v))];

/** The senders' KYC status by user id, answered with their row locks. */
type SenderLocks = Awaited<ReturnType<WalletsCore['deps']['services']['accounts']['lockForSpending']>>;

/**
 * The user rows of the senders, locked in id order (their KYC status by id). A caller that
 * already asked for the locks (while it resolved the senders) passes that answer: it is used when
 * it covers every sender, else the senders are locked here as usual.
 */
async function lockSenders(core: WalletsCore, trx: Tx, userIds: string[], locked?: Promise<SenderLocks>): Promise<SenderLocks> {
  const early = locked ? await locked : null;
  if (early && userIds.every((id) => early.has(id))) return early;
  return core.deps.services.accounts.lockForSpending(trx, userIds);
}

/**
 * The wallets a batch spends from, each under its spending lock: a wallet with an owner is spent
 * only under its owner's user row lock (taken before, for the daily limit; a wallet's owner never
 * changes), so only ownerless wallets (the treasury) take the advisory spending lock.
 */
async function lockWallets(trx: Tx, wallets: WalletRow[]): Promise<WalletRow[]> {
  const owned = [...new Map(wallets.filter((w) => w.user_id).map((w) => [w.id, w])).values()];
  const ownerless = unique(wallets.filter((w) => !w.user_id).map((w) => w.id));
  return ownerless.length ? [...owned, ...(await walletsRepo.lockSpending(trx, ownerless))] : owned;
}

/**
 * The money-moving core (DESIGN §6) for many transfers on the caller's transaction: locks the
 * senders (the user rows of the users whose money moves and of the wallets' owners, in id order,
 * then the spending locks of ownerless wallets), checks every transfer in order against the
 * spendable balance and the unverified daily limit (earlier ones in the batch count against later
 * ones), writes the accepted ledger rows `queued` (with the COMMIT when `ledgerWithCommit`: see
 * transactionsRepo.insertMany), records
 * transfer.queued and enqueues one broadcast job per sending wallet. A refused transfer answers
 * its Error and writes nothing; the others go on.
 */
export async function queueTransfers(
  core: WalletsCore,
  trx: Tx,
  inputs: QueueTransferInput[],
  opts: { ledgerWithCommit?: boolean; locked?: Promise<SenderLocks> } = {},
): Promise<Array<TransactionRow | Error>> {
  const chain = requireChain(core.chain);
  const results: Array<TransactionRow | Error | undefined> = inputs.map((input) => {
    if (input.amount <= 0n) return walletError('invalid_amount', { value: '0' });
    if (input.to.address === input.from.address) return walletError('self_transfer');
    return undefined;
  });
  const live = inputs.flatMap((input, i) => (results[i] ? [] : [{ input, i }]));
  if (!live.length) return results as Error[];
  for (const { input } of live) void chainSnapshot(core, input.from, false);

  const kyc = await lockSenders(core, trx, unique(live.flatMap(({ input }) => [input.userId, input.from.user_id])), opts.locked);
  const limited = [...kyc].filter(([, status]) => status !== 'verified').map(([id]) => id);
  const limit = parseUnits(core.deps.config.UNVERIFIED_DAILY_LIMIT, chain.token.decimals);
  const locked = await lockWallets(trx, live.map(({ input }) => input.from));
  const totals = await spendable(core, trx, locked, { limited });
  const sent = totals.sentToday;
  const balances = new Map(totals.balances.map((s) => [s.wallet.id, s]));
  const taken = new Map<string, bigint>();

  const accepted: Array<{ i: number; row: NewTransaction; input: QueueTransferInput }> = [];
  for (const { input, i } of live) {
    const balance = balances.get(input.from.id);
    if (!balance) {
      results[i] = walletError('wallet_not_found');
      continue;
    }
    // the balance first: a payment the wallet cannot afford is refused for that, not for a daily limit it would leave room under
    if (balance.available < input.amount) await recheck(core, trx, balance, taken.get(input.from.id) ?? 0n);
    if (balance.available < input.amount) {
      results[i] = walletError('insufficient_balance', {
        available: formatAmount(balance.available > 0n ? balance.available : 0n, chain.token.decimals),
        token: chain.token.symbol,
      });
      continue;
    }
    const userSent = input.userId && limited.includes(input.userId) ? (sent.get(input.userId) ?? 0n) : null;
    if (userSent !== null && userSent + input.amount > limit) {
      results[i] = walletError('daily_limit_exceeded', {
        limit: core.deps.config.UNVERIFIED_DAILY_LIMIT,
        remaining: formatAmount(limit > userSent ? limit - userSent : 0n, chain.token.decimals),
        token: chain.token.symbol,
      });
      continue;
    }
    balance.available -= input.amount;
    taken.set(input.from.id, (taken.get(input.from.id) ?? 0n) + input.amount);
    if (userSent !== null) sent.set(input.userId!, userSent + input.amount);
    const wallet = balance.wallet;
    accepted.push({
      i,
      input,
      row: {
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
        requestKey: input.requestKey ?? null,
        metadata: { ...(input.metadata ?? {}), recipientVia: input.to.via },
      },
    });
  }
  const rows = await transactionsRepo.insertMany(trx, accepted.map((a) => a.row), { withCommit: opts.ledgerWithCommit });
  for (const [n, a] of accepted.entries()) {
    results[a.i] = rows[n];
    await recordTransferEvent(core, trx, rows[n], 'transfer.queued', a.input.context);
  }
  await scheduleBroadcasts(core, trx, unique(accepted.map((a) => a.row.fromWalletId)));
  return results as Array<TransactionRow | Error>;
}

/**
 * Schedules the broadcast of wallets' queued rows, on the transaction that queued them: one pg-boss
 * job per wallet is written on it (the durable path), delayed, so one waiting job per wallet covers
 * every transfer of its delay window. A driver is woken at the commit and normally leaves the job
 * nothing to do: this node's own when it runs workers, else the worker nodes' (a notification on
 * BROADCAST_CHANNEL, sent with the COMMIT; a worker that misses it still has the job).
 */
export async function scheduleBroadcasts(core: WalletsCore, trx: Tx, walletIds: string[]): Promise<void> {
  if (!walletIds.length) return;
  const { driver } = core;
  const { jobs, notify } = core.deps;
  const data = walletIds.map((walletId) => ({ walletId }));
  await jobs.enqueueMany(JOBS.broadcast, data, { trx, startAfterSeconds: FALLBACK_AFTER_SECONDS, coalesce: true });
  if (!driver.active) {
    await notify.notifyOnCommit(trx, BROADCAST_CHANNEL, walletIds);
    return;
  }
  afterCommit(trx, () => {
    for (const walletId of walletIds) driver.broadcast(walletId).catch(() => undefined);
  });
}
