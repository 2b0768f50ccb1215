import { sql, type Selectable } from 'kysely';
import { bufferUntilCommit, type Executor } from '../platform/db/db.transaction.js';
import type { WalletKind, WalletsTable } from './wallets.tables.js';

export interface NewWallet {
  id: string;
  kind: WalletKind;
  userId: string | null;
  petId: string | null;
  address: string;
  encryptedKey: string;
  nextNonce?: bigint;
}

/** The advisory-lock namespace (first key) of wallet balance checks; the second key is the wallet id's hash. */
const SPENDING_LOCK = 727_301;

const publicColumns = ['id', 'kind', 'user_id', 'pet_id', 'address', 'next_nonce', 'created_at'] as const;
/** A wallet row without its sealed key, as every reader but the signer gets it. */
type PublicWallet = Pick<Selectable<WalletsTable>, (typeof publicColumns)[number]>;

const NONCE_WRITES = Symbol('next nonces written with the commit');

async function writeNextNonces(db: Executor, nonces: Array<{ id: string; nonce: bigint }>): Promise<void> {
  await sql`update wallets w set next_nonce = v.nonce
    from unnest(${nonces.map((n) => n.id)}::uuid[], ${nonces.map((n) => n.nonce.toString())}::bigint[]) as v(id, nonce)
    where w.id = v.id`.execute(db);
}

export const walletsRepo = {
  async insert(db: Executor, w: NewWallet) {
    return db
      .insertInto('wallets')
      .values({
        id: w.id,
        kind: w.kind,
        user_id: w.userId,
        pet_id: w.petId,
        address: w.address.toLowerCase(),
        encrypted_key: w.encryptedKey,
        next_nonce: (w.nextNonce ?? 0n).toString(),
      })
      .onConflict((oc) => oc.doNothing())
      .returning(publicColumns)
      .executeTakeFirst();
  },

  byId(db: Executor, id: string) {
    return db.selectFrom('wallets').select(publicColumns).where('id', '=', id).executeTakeFirst();
  },

  byAddress(db: Executor, address: string) {
    return db.selectFrom('wallets').select(publicColumns).where('address', '=', address.toLowerCase()).executeTakeFirst();
  },

  byAddresses(db: Executor, addresses: string[]) {
    if (!addresses.length) return Promise.resolve([]);
    return db.selectFrom('wallets').select(publicColumns).where('address', '=', sql<string>`any(${addresses.map((a) => a.toLowerCase())}::text[])`).execute();
  },

  byIds(db: Executor, ids: string[]) {
    return db.selectFrom('wallets').select(publicColumns).where('id', '=', sql<string>`any(${ids}::uuid[])`).execute();
  },

  /**
   * Every wallet a batch of transfers names, in one query: the users' own wallets, wallets by id and
   * wallets by address (a wallet may answer to several of them).
   */
  forTransfers(db: Executor, names: { userIds: string[]; ids: string[]; addresses: string[] }) {
    return db
      .selectFrom('wallets')
      .select(publicColumns)
      .where((eb) =>
        eb.or([
          eb.and([eb('user_id', '=', sql<string>`any(${names.userIds}::uuid[])`), eb('kind', '=', 'user')]),
          eb('id', '=', sql<string>`any(${names.ids}::uuid[])`),
          eb('address', '=', sql<string>`any(${names.addresses.map((a) => a.toLowerCase())}::text[])`),
        ]),
      )
      .execute();
  },

  userWallet(db: Executor, userId: string) {
    return db.selectFrom('wallets').select(publicColumns).where('user_id', '=', userId).where('kind', '=', 'user').executeTakeFirst();
  },

  petWallet(db: Executor, petId: string) {
    return db.selectFrom('wallets').select(publicColumns).where('pet_id', '=', petId).where('kind', '=', 'pet').executeTakeFirst();
  },

  listByUser(db: Executor, userId: string) {
    return db.selectFrom('wallets').select(publicColumns).where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
  },

  /**
   * Locks the wallet row: the nonce counter is advanced under this lock (balance checks take
   * lockSpending instead). NO KEY UPDATE, so inserting ledger rows that reference the wallet (a
   * key-share lock) never waits on it.
   */
  lock(db: Executor, id: string) {
    return db.selectFrom('wallets').select(publicColumns).where('id', '=', id).forNoKeyUpdate().executeTakeFirst();
  },

  /** Locks several wallet rows in id order, so two batches locking overlapping wallets never deadlock. */
  lockMany(db: Executor, ids: string[]) {
    return db.selectFrom('wallets').select(publicColumns).where('id', '=', sql<string>`any(${ids}::uuid[])`).orderBy('id').forNoKeyUpdate().execute();
  },

  /**
   * Serializes the balance checks of transfers from these ownerless wallets (the treasury; an owned
   * wallet's spends take its owner's user row lock instead) with transaction-scoped advisory
   * locks (taken in key order so overlapping batches never deadlock), then reads the wallets. Not
   * the row lock: the signer holds that while it advances the nonce, and an accept has no reason to
   * wait for it. Two wallets whose ids hash alike only share a lock. The rows are read in the same
   * statement, so anything that must see the previous holder's writes goes in a later statement.
   */
  lockSpending(db: Executor, ids: string[]) {
    return sql<PublicWallet>`
      select ${sql.join(publicColumns.map((c) => sql.ref(`w.${c}`)))} from wallets w
      where w.id = any(${ids}::uuid[])
        and (select count(*) from (
          select pg_advisory_xact_lock(${SPENDING_LOCK}, k) from (select distinct hashtext(i::text) as k from unnest(${ids}::uuid[]) as i order by k) as keys
        ) as held) >= 0
      order by w.id`.execute(db).then((r) => r.rows);
  },

  /** The first wallet by id (v7: the oldest) with its sealed key, none on a new database: start-up opens it to check the master key. */
  oldestSealed(db: Executor): Promise<(PublicWallet & { encrypted_key: string }) | undefined> {
    return db.selectFrom('wallets').select([...publicColumns, 'encrypted_key']).orderBy('id').limit(1).executeTakeFirst();
  },

  /** Wallets with their sealed keys, read only where a key is opened: the signing path and the treasury at start-up. */
  sealedWallets(db: Executor, ids: string[]): Promise<Array<PublicWallet & { encrypted_key: string }>> {
    return db.selectFrom('wallets').select([...publicColumns, 'encrypted_key']).where('id', '=', sql<string>`any(${ids}::uuid[])`).execute();
  },

  /**
   * Sets wallets' next nonces. With `withCommit`, on a transaction opened by withTransaction, the
   * update is held and sent with the COMMIT: that transaction must not read the nonces again.
   */
  async setNextNonces(db: Executor, nonces: Array<{ id: string; nonce: bigint }>, opts: { withCommit?: boolean } = {}) {
    if (opts.withCommit && bufferUntilCommit(db, NONCE_WRITES, nonces, (trx, batches) => writeNextNonces(trx, batches.flat()))) return;
    await writeNextNonces(db, nonces);
  },

  deployment(db: Executor, chainId: number) {
    return db.selectFrom('chain_deployments').selectAll().where('chain_id', '=', chainId).executeTakeFirst();
  },

  async saveDeployment(
    db: Executor,
    d: { chainId: number; tokenAddress: string; tokenSymbol: string; tokenDecimals: number; batchTransferAddress: string | null; treasuryWalletId: string; deployed: boolean },
  ) {
    const values = {
      chain_id: d.chainId,
      token_address: d.tokenAddress.toLowerCase(),
      token_symbol: d.tokenSymbol,
      token_decimals: d.tokenDecimals,
      batch_transfer_address: d.batchTransferAddress?.toLowerCase() ?? null,
      treasury_wallet_id: d.treasuryWalletId,
      deployed: d.deployed,
    };
    await db
      .insertInto('chain_deployments')
      .values(values)
      .onConflict((oc) => oc.column('chain_id').doUpdateSet(values))
      .execute();
  },

  /** Serializes deployment across processes starting together on one database. */
  async lockDeployment(db: Executor, chainId: number) {
    await sql`select pg_advisory_xact_lock(727300, ${chainId})`.execute(db);
  },
};

export type WalletRow = NonNullable<Awaited<ReturnType<typeof walletsRepo.byId>>>;
