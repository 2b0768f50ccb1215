import { sql, type ExpressionBuilder, type Selectable } from 'kysely';
import type { DB } from '../platform/db/db.types.js';
import { bufferUntilCommit, type Executor } from '../platform/db/db.transaction.js';
import type { TxCall, TxStatus, TxType } from './wallets.tables.js';

export interface NewTransaction {
  id: string;
  type: TxType;
  status: TxStatus;
  call: TxCall;
  chainId: number;
  network: string;
  fromAddress: string;
  toAddress: string;
  fromWalletId: string | null;
  toWalletId: string | null;
  userId: string | null;
  toUserId: string | null;
  petId: string | null;
  amount: bigint;
  token: string;
  tokenAddress: string | null;
  memo: string | null;
  metadata: Record<string, unknown>;
  hash?: string | null;
  blockNumber?: bigint | null;
  gasUsed?: bigint | null;
  gasFee?: bigint | null;
  error?: string | null;
  /** The caller-scoped Idempotency-Key this row was requested with (unique). */
  requestKey?: string | null;
  createdAt?: Date;
  /** When a row born final (confirmed or failed) was settled; now unless given. */
  finalizedAt?: Date;
}

export interface TransactionFilter {
  /** Only rows touching these wallet addresses (or sent/received by userIds); null = everything (admin). */
  addresses: string[] | null;
  userIds: string[] | null;
  type?: TxType;
  status?: TxStatus;
  address?: string;
  petId?: string;
  from?: Date;
  to?: Date;
  includeGas: boolean;
}

const columns = [
  'id', 'hash', 'type', 'status', 'call', 'chain_id', 'network', 'from_address', 'to_address', 'from_wallet_id', 'to_wallet_id',
  'user_id', 'to_user_id', 'pet_id', 'amount', 'token', 'token_address', 'memo', 'nonce', 'block_number', 'gas_used', 'gas_fee',
  'error', 'metadata', 'created_at', 'submitted_at', 'finalized_at', 'updated_at',
] as const;

/** A ledger row as services see it (everything but the signed bytes). */
export type TransactionRow = Pick<Selectable<DB['transactions']>, (typeof columns)[number]>;

/** Columns answered by the raw UPDATE … FROM unnest statements, qualified with their alias. */
const returning = sql.join(columns.map((c) => sql.ref(`t.${c}`)));

/** How a pending row ends. */
export interface Finalization {
  status: 'confirmed' | 'failed';
  blockNumber: bigint | null;
  gasUsed: bigint | null;
  gasFee: bigint | null;
  error: string | null;
  /** The hash the chain mined when it is one the row was sent with before a fee bump (else the row's current hash stays). */
  minedHash?: string | null;
}

/**
 * What the receipt of a transaction recorded from outside StreakPets says: when its block was mined
 * (the row's date), and what it moved when a token Transfer log says so (replacing what was read
 * while it was pending).
 */
export interface Settlement {
  minedAt: Date;
  movement: {
    fromAddress: string;
    toAddress: string;
    amount: bigint;
    token: string;
    tokenAddress: string | null;
    userId: string | null;
    toUserId: string | null;
    toWalletId: string | null;
  } | null;
}

function scope(eb: ExpressionBuilder<DB, 'transactions'>, f: TransactionFilter) {
  const parts = [];
  if (f.addresses !== null || f.userIds !== null) {
    const or = [];
    if (f.addresses?.length) {
      or.push(eb('from_address', 'in', f.addresses), eb('to_address', 'in', f.addresses));
    }
    if (f.userIds?.length) or.push(eb('user_id', 'in', f.userIds), eb('to_user_id', 'in', f.userIds));
    parts.push(or.length ? eb.or(or) : sql<boolean>`false`);
  }
  if (f.type) parts.push(eb('type', '=', f.type));
  else if (!f.includeGas) parts.push(eb('type', '!=', 'gas'));
  if (f.status) parts.push(eb('status', '=', f.status));
  if (f.address) parts.push(eb.or([eb('from_address', '=', f.address), eb('to_address', '=', f.address)]));
  if (f.petId) parts.push(eb('pet_id', '=', f.petId));
  if (f.from) parts.push(eb('created_at', '>=', f.from));
  if (f.to) parts.push(eb('created_at', '<', f.to));
  return eb.and(parts);
}

/** A new ledger row as column values (created_at is left to the database unless given). */
function rowValues(t: NewTransaction) {
  return {
    id: t.id,
    hash: t.hash ?? null,
    type: t.type,
    status: t.status,
    call: t.call,
    chain_id: t.chainId,
    network: t.network,
    from_address: t.fromAddress.toLowerCase(),
    to_address: t.toAddress.toLowerCase(),
    from_wallet_id: t.fromWalletId,
    to_wallet_id: t.toWalletId,
    user_id: t.userId,
    to_user_id: t.toUserId,
    pet_id: t.petId,
    amount: t.amount.toString(),
    token: t.token,
    token_address: t.tokenAddress?.toLowerCase() ?? null,
    memo: t.memo,
    metadata: JSON.stringify(t.metadata),
    block_number: t.blockNumber?.toString() ?? null,
    gas_used: t.gasUsed?.toString() ?? null,
    gas_fee: t.gasFee?.toString() ?? null,
    error: t.error ?? null,
    nonce: null,
    raw_tx: null,
    request_key: t.requestKey ?? null,
    submitted_at: null,
    finalized_at: t.status === 'confirmed' || t.status === 'failed' ? (t.finalizedAt ?? new Date()) : null,
    ...(t.createdAt ? { created_at: t.createdAt } : {}),
  };
}

const LEDGER_WRITES = Symbol('ledger rows written with the commit');

/** The ledger insert (and the spend buckets it feeds), rows as column → value objects. */
function insertLedgerRows(db: Executor, values: Array<Record<string, unknown>>) {
  const cols = sql.join(Object.keys(values[0]).map((c) => sql.id(c)));
  return sql<TransactionRow>`
    with ins as (
      insert into transactions (${cols}) select ${cols} from jsonb_populate_recordset(null::transactions, ${JSON.stringify(values)}::jsonb)
      returning ${sql.join(columns.map((c) => sql.id(c)))}
    ), spent as (
      insert into spend_buckets (user_id, token, hour, amount)
      select user_id, token, date_trunc('hour', created_at, 'UTC'), sum(amount) from ins
      where call = 'erc20_transfer' and user_id is not null and status <> 'failed'
      group by 1, 2, 3 order by 1, 2, 3
      on conflict (user_id, token, hour) do update set amount = spend_buckets.amount + excluded.amount
    )
    select * from ins`.execute(db);
}

export const transactionsRepo = {
  async insert(db: Executor, t: NewTransaction) {
    return db.insertInto('transactions').values(rowValues(t)).returning(columns).executeTakeFirstOrThrow();
  },

  /** Inserts a row carrying a hash unless the ledger already holds that hash; answers the new row, or undefined when one was there. */
  insertNewHash(db: Executor, t: NewTransaction) {
    return db.insertInto('transactions').values(rowValues(t)).onConflict((oc) => oc.column('hash').doNothing()).returning(columns).executeTakeFirst();
  },

  /**
   * Inserts several ledger rows with one statement whose text never changes (the rows travel as one
   * JSON parameter), created_at from the database; answers the rows in input order. The same
   * statement adds the ERC-20 transfers to their senders' hourly spend buckets (taken in key order).
   * With `withCommit`, on a transaction opened by withTransaction, the rows are stamped with this
   * node's clock and answered as built here, and the statement is held and sent with the COMMIT (a
   * reused request key then fails the commit): nothing in that transaction may refer to the rows,
   * since foreign keys are checked at once.
   */
  async insertMany(db: Executor, rows: NewTransaction[], opts: { withCommit?: boolean } = {}): Promise<TransactionRow[]> {
    if (!rows.length) return [];
    if (opts.withCommit) {
      const now = new Date();
      const built = rows.map((t) => ({ ...rowValues({ ...t, createdAt: t.createdAt ?? now }), updated_at: now, metadata: t.metadata }));
      if (bufferUntilCommit(db, LEDGER_WRITES, built, async (trx, batches) => void (await insertLedgerRows(trx, batches.flat())))) {
        return built.map((v) => Object.fromEntries(columns.map((c) => [c, v[c as keyof typeof v] ?? null])) as TransactionRow);
      }
    }
    const values = rows.map((t) => {
      const { created_at: _ignored, ...v } = rowValues({ ...t, createdAt: undefined });
      return { ...v, metadata: t.metadata };
    });
    const result = await insertLedgerRows(db, values);
    const byId = new Map(result.rows.map((r) => [r.id, r]));
    return rows.map((t) => byId.get(t.id)!);
  },

  /** Whether an insert failed because a ledger row already holds one of its Idempotency-Keys. */
  isRequestKeyTaken(err: unknown): boolean {
    const e = err as { code?: string; constraint?: string };
    return e?.code === '23505' && e.constraint === 'transactions_request_key_idx';
  },

  /** Rows requested with these caller-scoped Idempotency-Keys. */
  byRequestKeys(db: Executor, keys: string[]) {
    if (!keys.length) return Promise.resolve([]);
    return db.selectFrom('transactions').select([...columns, 'request_key']).where('request_key', '=', sql<string>`any(${keys}::text[])`).execute();
  },

  byId(db: Executor, id: string) {
    return db.selectFrom('transactions').select(columns).where('id', '=', id).executeTakeFirst();
  },

  /** The row sent with this hash: its current one, or one a fee bump replaced. */
  byHash(db: Executor, hash: string) {
    const h = hash.toLowerCase();
    return db
      .selectFrom('transactions')
      .select(columns)
      .where((eb) => eb.or([eb('hash', '=', h), eb.and([sql<boolean>`replaced_hashes <> '{}'`, sql<boolean>`replaced_hashes @> array[${h}]::text[]`])]))
      .orderBy(sql`hash = ${h}`, 'desc')
      .limit(1)
      .executeTakeFirst();
  },

  byIds(db: Executor, ids: string[]) {
    return db.selectFrom('transactions').select(columns).where('id', '=', sql<string>`any(${ids}::uuid[])`).execute();
  },

  lock(db: Executor, id: string) {
    return db.selectFrom('transactions').select([...columns, 'raw_tx']).where('id', '=', id).forNoKeyUpdate().executeTakeFirst();
  },

  /**
   * Queued rows of several wallets, oldest first per wallet and at most `limit` each, to be signed
   * with consecutive nonces. Read without a lock: the signer re-checks each wallet's nonce and each
   * row's status under the wallet locks.
   */
  async queuedForWallets(db: Executor, walletIds: string[], limit: number): Promise<TransactionRow[]> {
    const result = await sql<TransactionRow>`
      select ${returning} from unnest(${walletIds}::uuid[]) as w(id)
      cross join lateral (
        select * from transactions q where q.from_wallet_id = w.id and q.status = 'queued' order by q.created_at, q.id limit ${limit}
      ) as t`.execute(db);
    return result.rows;
  },

  pendingForWallet(db: Executor, walletId: string, limit: number) {
    return db
      .selectFrom('transactions')
      .select([...columns, 'raw_tx', 'replaced_hashes'])
      .where('from_wallet_id', '=', walletId)
      .where('status', '=', 'pending')
      .orderBy('nonce')
      .limit(limit)
      .execute();
  },

  /**
   * Stores signed rows as pending (nonce, hash, signed bytes) with one statement; only rows still
   * queued change, and the changed rows are answered (the caller compares the count).
   */
  async markPendingMany(db: Executor, signed: Array<{ id: string; nonce: bigint; hash: string; rawTx: string }>): Promise<TransactionRow[]> {
    const result = await sql<TransactionRow>`
      update transactions t
      set status = 'pending', nonce = v.nonce, hash = v.hash, raw_tx = v.raw_tx, submitted_at = now(), updated_at = now()
      from unnest(${signed.map((s) => s.id)}::uuid[], ${signed.map((s) => s.nonce.toString())}::bigint[],
                  ${signed.map((s) => s.hash.toLowerCase())}::text[], ${signed.map((s) => s.rawTx)}::text[]) as v(id, nonce, hash, raw_tx)
      where t.id = v.id and t.status = 'queued'
      returning ${returning}`.execute(db);
    return result.rows;
  },

  /**
   * Stores fee-bumped replacements of pending rows (same nonce, new hash and signed bytes), the hash
   * each replaces kept in replaced_hashes; only rows still pending with that hash change (another
   * finalizer or replacer got the others first). Answers the ids replaced.
   */
  async replaceSigned(db: Executor, items: Array<{ id: string; oldHash: string; hash: string; rawTx: string }>): Promise<string[]> {
    const result = await sql<{ id: string }>`
      update transactions t
      set hash = v.hash, raw_tx = v.raw_tx, replaced_hashes = t.replaced_hashes || v.old_hash, submitted_at = now(), updated_at = now()
      from unnest(${items.map((i) => i.id)}::uuid[], ${items.map((i) => i.oldHash.toLowerCase())}::text[],
                  ${items.map((i) => i.hash.toLowerCase())}::text[], ${items.map((i) => i.rawTx)}::text[]) as v(id, old_hash, hash, raw_tx)
      where t.id = v.id and t.status = 'pending' and t.hash = v.old_hash
      returning t.id`.execute(db);
    return result.rows.map((r) => r.id);
  },

  /** Pending rows of every wallet, least recently touched first: what the confirmation watcher checks. */
  pendingRows(db: Executor, limit: number) {
    return db
      .selectFrom('transactions')
      .select(['id', 'hash', 'from_wallet_id'])
      .where('status', '=', 'pending')
      .where('hash', 'is not', null)
      .orderBy('updated_at')
      .limit(limit)
      .execute();
  },

  /**
   * Locks the listed rows that are still pending, in id order (two finalizers never deadlock); answers
   * their ids. With skipLocked, rows another finalizer holds are left to it instead of waited for.
   */
  async lockPending(db: Executor, ids: string[], skipLocked = false): Promise<string[]> {
    const query = db
      .selectFrom('transactions')
      .select('id')
      .where('id', '=', sql<string>`any(${ids}::uuid[])`)
      .where('status', '=', 'pending')
      .orderBy('id')
      .forNoKeyUpdate();
    const rows = await (skipLocked ? query.skipLocked() : query).execute();
    return rows.map((r) => r.id);
  },

  /**
   * Moves pending rows to confirmed or failed with one statement (rows no longer pending are left
   * alone); answers the changed rows. Failed ERC-20 transfers are taken out of their senders' spend
   * buckets (giveBackSpend).
   */
  async finalizeMany(db: Executor, items: Array<{ id: string } & Finalization>): Promise<TransactionRow[]> {
    const text = (v: bigint | null) => v?.toString() ?? null;
    const result = await sql<TransactionRow>`
      update transactions t
      set status = v.status, block_number = v.block_number, gas_used = v.gas_used, gas_fee = v.gas_fee, error = v.error,
          hash = coalesce(v.mined_hash, t.hash),
          replaced_hashes = case when v.mined_hash is null then t.replaced_hashes else array_remove(t.replaced_hashes || t.hash, v.mined_hash) end,
          finalized_at = now(), updated_at = now()
      from unnest(${items.map((i) => i.id)}::uuid[], ${items.map((i) => i.status)}::text[], ${items.map((i) => text(i.blockNumber))}::bigint[],
                  ${items.map((i) => text(i.gasUsed))}::numeric[], ${items.map((i) => text(i.gasFee))}::numeric[],
                  ${items.map((i) => i.error)}::text[], ${items.map((i) => i.minedHash?.toLowerCase() ?? null)}::text[])
                  as v(id, status, block_number, gas_used, gas_fee, error, mined_hash)
      where t.id = v.id and t.status = 'pending'
      returning ${returning}`.execute(db);
    await transactionsRepo.giveBackSpend(db, result.rows.filter((r) => r.status === 'failed' && r.call === 'erc20_transfer' && r.user_id));
    return result.rows;
  },

  /**
   * Stores the settlements of just-finalized external rows: dated (created and finalized) by their
   * block, and with the parties, amount and token their receipts say when they say so; answers the changed rows.
   */
  async settleExternal(db: Executor, items: Array<{ id: string } & Settlement>): Promise<TransactionRow[]> {
    if (!items.length) return [];
    const m = (f: (mv: NonNullable<Settlement['movement']>) => string | null) => items.map((i) => (i.movement ? f(i.movement) : null));
    const result = await sql<TransactionRow>`
      update transactions t
      set created_at = v.mined_at, finalized_at = v.mined_at,
          from_address = case when v.moved then v.from_address else t.from_address end,
          to_address = case when v.moved then v.to_address else t.to_address end,
          amount = case when v.moved then v.amount else t.amount end,
          token = case when v.moved then v.token else t.token end,
          token_address = case when v.moved then v.token_address else t.token_address end,
          user_id = case when v.moved then v.user_id else t.user_id end,
          to_user_id = case when v.moved then v.to_user_id else t.to_user_id end,
          to_wallet_id = case when v.moved then v.to_wallet_id else t.to_wallet_id end
      from unnest(${items.map((i) => i.id)}::uuid[], ${items.map((i) => i.minedAt.toISOString())}::timestamptz[], ${items.map((i) => i.movement !== null)}::boolean[],
                  ${m((v) => v.fromAddress.toLowerCase())}::text[], ${m((v) => v.toAddress.toLowerCase())}::text[], ${m((v) => v.amount.toString())}::numeric[],
                  ${m((v) => v.token)}::text[], ${m((v) => v.tokenAddress?.toLowerCase() ?? null)}::text[],
                  ${m((v) => v.userId)}::uuid[], ${m((v) => v.toUserId)}::uuid[], ${m((v) => v.toWalletId)}::uuid[])
                  as v(id, mined_at, moved, from_address, to_address, amount, token, token_address, user_id, to_user_id, to_wallet_id)
      where t.id = v.id and t.call = 'external'
      returning ${returning}`.execute(db);
    return result.rows;
  },

  /** Takes failed transfers out of their senders' hourly spend buckets, the buckets locked in key order. */
  async giveBackSpend(db: Executor, rows: TransactionRow[]): Promise<void> {
    if (!rows.length) return;
    await sql`
      with v as (
        select user_id, token, date_trunc('hour', created_at, 'UTC') as hour, sum(amount) as amount
        from unnest(${rows.map((r) => r.user_id)}::uuid[], ${rows.map((r) => r.token)}::text[], ${rows.map((r) => r.created_at)}::timestamptz[],
                    ${rows.map((r) => r.amount)}::numeric[]) as r(user_id, token, created_at, amount)
        group by 1, 2, 3
      ), locked as (
        select b.user_id, b.token, b.hour from spend_buckets b join v using (user_id, token, hour) order by 1, 2, 3 for update of b
      )
      update spend_buckets b set amount = b.amount - v.amount
      from v join locked l using (user_id, token, hour)
      where b.user_id = v.user_id and b.token = v.token and b.hour = v.hour`.execute(db);
  },

  /** Drops spend buckets no limit check reads any more (older than two days). */
  async pruneSpend(db: Executor): Promise<number> {
    const result = await db.deleteFrom('spend_buckets').where('hour', '<', sql<Date>`now() - interval '2 days'`).executeTakeFirst();
    return Number(result.numDeletedRows);
  },

  /**
   * What bounds a batch of spends, in one statement (run after the senders are locked, so it sees
   * what their earlier holders committed). Per user in `userIds`: what they sent in the last 24 hours
   * (not failed) in base units of `token` — the unverified daily limit — read from the hourly spend
   * buckets that overlap those 24 hours (so up to an hour more, never less: a spend ages out on the
   * hour after its 24 hours). Per wallet: outgoing token
   * amounts not reflected in a chain snapshot taken when the wallet's nonce was `nonce` — queued rows,
   * and sent rows (pending or confirmed) with a nonce at or above it; the snapshot may be older than
   * the ledger, so rows confirmed since are still subtracted.
   */
  async spendingTotals(
    db: Executor,
    q: { userIds: string[]; token: string; wallets: Array<{ id: string; nonce: bigint }>; tokenAddress: string },
  ): Promise<{ sentToday: Map<string, bigint>; inFlight: Map<string, bigint> }> {
    // two probes per wallet, each on its own index: the queued rows through the (wallet, status)
    // partial index, the sent ones through the (wallet, nonce) range — never the wallet's whole history
    const tokenAddress = q.tokenAddress.toLowerCase();
    const result = await sql<{ kind: 'sent' | 'flight'; id: string; total: string }>`
      select 'sent' as kind, b.user_id as id, sum(b.amount)::text as total
      from spend_buckets b
      where b.user_id = any(${q.userIds}::uuid[]) and b.token = ${q.token} and b.hour > now() - interval '25 hours'
      group by b.user_id
      union all
      select 'flight', w.id, (
        coalesce((select sum(t.amount) from transactions t
                  where t.from_wallet_id = w.id and t.status = 'queued' and t.token_address = ${tokenAddress} and t.call = 'erc20_transfer'), 0)
        + coalesce((select sum(t.amount) from transactions t
                    where t.from_wallet_id = w.id and t.nonce >= w.nonce and t.status in ('pending', 'confirmed')
                      and t.token_address = ${tokenAddress} and t.call = 'erc20_transfer'), 0)
      )::text
      from unnest(${q.wallets.map((w) => w.id)}::uuid[], ${q.wallets.map((w) => w.nonce.toString())}::bigint[]) as w(id, nonce)`.execute(db);
    const totals = { sentToday: new Map<string, bigint>(), inFlight: new Map<string, bigint>() };
    for (const r of result.rows) (r.kind === 'sent' ? totals.sentToday : totals.inFlight).set(r.id, BigInt(r.total));
    return totals;
  },

  /** Most recent faucet grant to a wallet (the faucet's per-wallet cooldown). */
  lastFaucet(db: Executor, walletId: string) {
    return db
      .selectFrom('transactions')
      .select(['created_at'])
      .where('to_wallet_id', '=', walletId)
      .where('type', '=', 'faucet')
      .where('status', '!=', 'failed')
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  },

  openGasTopUp(db: Executor, walletId: string) {
    return db
      .selectFrom('transactions')
      .select(['id'])
      .where('to_wallet_id', '=', walletId)
      .where('type', '=', 'gas')
      .where('status', 'in', ['queued', 'pending'])
      .executeTakeFirst();
  },

  list(db: Executor, f: TransactionFilter, limit: number, after: { k: string; id: string } | null) {
    let q = db.selectFrom('transactions').select(columns).where((eb) => scope(eb, f));
    if (after) {
      q = q.where((eb) =>
        eb.or([eb('created_at', '<', new Date(after.k)), eb.and([eb('created_at', '=', new Date(after.k)), eb('id', '<', after.id)])]),
      );
    }
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  },

  async summary(db: Executor, f: TransactionFilter, mine: string[] | null) {
    const byStatusType = await db
      .selectFrom('transactions')
      .select(['status', 'type', sql<number>`count(*)::int`.as('n')])
      .where((eb) => scope(eb, f))
      .groupBy(['status', 'type'])
      .execute();
    const mineList = mine && mine.length ? mine : ['0x'];
    const totals = await db
      .selectFrom('transactions')
      .select([
        'token',
        sql<string>`coalesce(sum(amount) filter (where ${mine === null ? sql`true` : sql`from_address = any(${mineList})`}), 0)::text`.as('sent'),
        sql<string>`coalesce(sum(amount) filter (where ${mine === null ? sql`true` : sql`to_address = any(${mineList})`}), 0)::text`.as('received'),
      ])
      .where((eb) => scope(eb, f))
      .where('status', '=', 'confirmed')
      .groupBy('token')
      .execute();
    return { byStatusType, totals };
  },

  /** Rows recorded from outside StreakPets still pending, untouched for olderThanSeconds: those the chain may have dropped. */
  async staleExternalPending(db: Executor, olderThanSeconds: number, limit = 100): Promise<TransactionRow[]> {
    return db
      .selectFrom('transactions')
      .selectAll()
      .where('status', '=', 'pending')
      .where('call', '=', 'external')
      .where('updated_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
      .orderBy('updated_at')
      .limit(limit)
      .execute() as Promise<TransactionRow[]>;
  },

  /** One token transfer still queued or pending from or to these wallets (gas top-ups left out: that is the treasury's money), if any. */
  inFlightFor(db: Executor, walletIds: string[]) {
    return db
      .selectFrom('transactions')
      .select(['id'])
      .where('status', 'in', ['queued', 'pending'])
      .where('type', '!=', 'gas')
      .where((eb) => eb.or([eb('from_wallet_id', 'in', walletIds), eb('to_wallet_id', 'in', walletIds)]))
      .limit(1)
      .executeTakeFirst();
  },

  /** Clears the memos a deleted user wrote on ledger rows (the rows, amounts and addresses stay). */
  async eraseMemosOf(db: Executor, userId: string): Promise<void> {
    await db.updateTable('transactions').set({ memo: null }).where('user_id', '=', userId).where('memo', 'is not', null).execute();
  },

  /** Wallets with rows stuck queued or pending for longer than the given seconds (the reconciler re-drives them). */
  async staleWallets(db: Executor, olderThanSeconds: number) {
    return db
      .selectFrom('transactions')
      .select(['from_wallet_id', 'status'])
      .distinct()
      .where('status', 'in', ['queued', 'pending'])
      .where('from_wallet_id', 'is not', null)
      .where('updated_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
      .limit(500)
      .execute();
  },
};
