import { decodeEventLog, decodeFunctionData, zeroAddress, type Transaction, type TransactionReceipt } from 'viem';
import { erc20Abi } from '../chain/chain.contracts.js';
import { requireChain, type ChainContext } from './wallets.chain.js';
import type { WalletsCore } from './wallets.core.js';
import { walletsRepo } from './wallets.repo.js';
import { transactionsRepo, type Settlement, type TransactionRow } from './transactions.repo.js';

/** What a transaction moved: between whom, how much of which token (ETH for the native value). */
export interface Movement {
  from: string;
  to: string;
  amount: bigint;
  token: string;
  tokenAddress: string | null;
}

interface TokenTransfer {
  from: string;
  to: string;
  value: bigint;
}

/** The configured token's Transfer logs of a receipt. */
function loggedTransfers(chain: ChainContext, receipt: TransactionReceipt | null): TokenTransfer[] {
  return (receipt?.logs ?? [])
    .filter((l) => l.address.toLowerCase() === chain.token.address.toLowerCase())
    .flatMap((l) => {
      try {
        const d = decodeEventLog({ abi: erc20Abi, data: l.data, topics: l.topics });
        return d.eventName === 'Transfer' ? [{ from: d.args.from.toLowerCase(), to: d.args.to.toLowerCase(), value: d.args.value }] : [];
      } catch {
        return [];
      }
    });
}

/** The token movement a call to the configured token's transfer or transferFrom asks for (what it will move if it succeeds). */
function calledTransfer(chain: ChainContext, tx: Transaction): TokenTransfer | null {
  if (tx.to?.toLowerCase() !== chain.token.address.toLowerCase()) return null;
  try {
    const call = decodeFunctionData({ abi: erc20Abi, data: tx.input });
    if (call.functionName === 'transfer') return { from: tx.from.toLowerCase(), to: call.args[0].toLowerCase(), value: call.args[1] };
    if (call.functionName === 'transferFrom') return { from: call.args[0].toLowerCase(), to: call.args[1].toLowerCase(), value: call.args[2] };
  } catch {
    return null;
  }
  return null;
}

function tokenMovement(chain: ChainContext, t: TokenTransfer): Movement {
  return { from: t.from, to: t.to, amount: t.value, token: chain.token.symbol, tokenAddress: chain.token.address.toLowerCase() };
}

/**
 * What a chain transaction moved: the configured token's Transfer log touching `mine` (or the first);
 * while it has no receipt, or when it reverted, the token transfer its calldata asks for; else the native value.
 */
export function movement(core: WalletsCore, tx: Transaction, receipt: TransactionReceipt | null, mine: string[] | null): Movement {
  const chain = requireChain(core.chain);
  const logged = loggedTransfers(chain, receipt).find((t) => !mine || mine.includes(t.from) || mine.includes(t.to));
  if (logged) return tokenMovement(chain, logged);
  const called = receipt?.status === 'success' ? null : calledTransfer(chain, tx);
  if (called) return tokenMovement(chain, called);
  return { from: tx.from.toLowerCase(), to: (tx.to ?? zeroAddress).toLowerCase(), amount: tx.value, token: 'ETH', tokenAddress: null };
}

/** The ledger's side of a movement: the wallet receiving it and the users on either side (null for outside addresses). */
export async function partiesOf(core: WalletsCore, moved: Movement) {
  const wallets = await walletsRepo.byAddresses(core.deps.db, [moved.from, moved.to]);
  const fromWallet = wallets.find((w) => w.address === moved.from);
  const toWallet = wallets.find((w) => w.address === moved.to);
  return { fromWallet, toWallet, userId: fromWallet?.user_id ?? null, toUserId: toWallet?.user_id ?? null, toWalletId: toWallet?.id ?? null };
}

/** When a block was mined (its timestamp), as a date. */
export async function minedAt(core: WalletsCore, blockNumber: bigint): Promise<Date> {
  return new Date(Number((await core.deps.chain.publicClient.getBlock({ blockNumber })).timestamp) * 1000);
}

/**
 * How an externally recorded row is settled by its receipt: it is dated by its block (`minedAt`), and
 * the chain's word wins, so the token Transfer log between the row's parties (else one touching either
 * of them) replaces what was read from the calldata while it was pending. `movement` is null when the
 * receipt logs no such transfer (a native transfer, or a reverted call: the row keeps what it holds).
 */
export async function settlementOf(core: WalletsCore, row: TransactionRow, receipt: TransactionReceipt, blockTime = minedAt(core, receipt.blockNumber)): Promise<Settlement> {
  const chain = requireChain(core.chain);
  const logged = loggedTransfers(chain, receipt);
  const parties = [row.from_address, row.to_address];
  const pick =
    logged.find((t) => t.from === row.from_address && t.to === row.to_address) ?? logged.find((t) => parties.includes(t.from) || parties.includes(t.to));
  if (!pick) return { minedAt: await blockTime, movement: null };
  const moved = tokenMovement(chain, pick);
  const { userId, toUserId, toWalletId } = await partiesOf(core, moved);
  return {
    minedAt: await blockTime,
    movement: { fromAddress: moved.from, toAddress: moved.to, amount: moved.amount, token: moved.token, tokenAddress: moved.tokenAddress, userId, toUserId, toWalletId },
  };
}

/**
 * The receipts of rows about to be finalized, each with its settlement when the row was recorded
 * from outside StreakPets (such rows have no sending wallet of ours; only they are read again, and
 * each block's time is read once).
 */
export async function withSettlements<I extends { id: string; receipt: TransactionReceipt }>(
  core: WalletsCore,
  rows: Array<{ id: string; from_wallet_id: string | null }>,
  ready: I[],
): Promise<Array<I & { settled?: Settlement }>> {
  const outside = new Set(rows.filter((r) => r.from_wallet_id === null).map((r) => r.id));
  const candidates = ready.filter((i) => outside.has(i.id));
  if (!candidates.length) return ready;
  const external = new Map((await transactionsRepo.byIds(core.deps.db, candidates.map((i) => i.id))).filter((r) => r.call === 'external').map((r) => [r.id, r]));
  const blocks = new Map<bigint, Promise<Date>>();
  const blockTime = (n: bigint) => blocks.get(n) ?? blocks.set(n, minedAt(core, n)).get(n)!;
  return Promise.all(
    ready.map(async (i) => {
      const row = external.get(i.id);
      return row ? { ...i, settled: await settlementOf(core, row, i.receipt, blockTime(i.receipt.blockNumber)) } : i;
    }),
  );
}
