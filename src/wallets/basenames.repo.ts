import type { Executor } from '../platform/db/db.transaction.js';

export const basenamesRepo = {
  /** The live (unexpired) owner of a name with its wallet address. */
  resolve(db: Executor, name: string) {
    return db
      .selectFrom('basenames')
      .innerJoin('wallets', 'wallets.id', 'basenames.wallet_id')
      .select(['basenames.name', 'basenames.wallet_id', 'basenames.user_id', 'basenames.expires_at', 'wallets.address', 'wallets.pet_id'])
      .where('basenames.name', '=', name)
      .where('basenames.expires_at', '>', new Date())
      .executeTakeFirst();
  },

  /** A deleted user's live names expire now: they resolve to nothing and anyone may register them. */
  async releaseOf(db: Executor, userId: string): Promise<void> {
    await db.updateTable('basenames').set({ expires_at: new Date(), updated_at: new Date() }).where('user_id', '=', userId).where('expires_at', '>', new Date()).execute();
  },

  lock(db: Executor, name: string) {
    return db.selectFrom('basenames').selectAll().where('name', '=', name).forUpdate().executeTakeFirst();
  },

  async insert(db: Executor, b: { name: string; walletId: string; userId: string; transactionId: string | null; expiresAt: Date }) {
    await db
      .insertInto('basenames')
      .values({ name: b.name, wallet_id: b.walletId, user_id: b.userId, transaction_id: b.transactionId, expires_at: b.expiresAt })
      .execute();
  },

  async update(db: Executor, name: string, b: { walletId: string; userId: string; transactionId?: string | null; expiresAt?: Date; fresh?: boolean }) {
    await db
      .updateTable('basenames')
      .set({
        wallet_id: b.walletId,
        user_id: b.userId,
        updated_at: new Date(),
        ...(b.transactionId !== undefined ? { transaction_id: b.transactionId } : {}),
        ...(b.expiresAt ? { expires_at: b.expiresAt } : {}),
        ...(b.fresh ? { registered_at: new Date() } : {}),
      })
      .where('name', '=', name)
      .execute();
  },

  async addHistory(
    db: Executor,
    h: { id: string; name: string; action: 'registered' | 'updated' | 'transferred'; userId: string; walletId: string; transactionId: string | null; transactionHash: string | null; cost: bigint; expiresAt: Date },
  ) {
    await db
      .insertInto('basename_history')
      .values({
        id: h.id,
        name: h.name,
        action: h.action,
        user_id: h.userId,
        wallet_id: h.walletId,
        transaction_id: h.transactionId,
        transaction_hash: h.transactionHash,
        cost: h.cost.toString(),
        expires_at: h.expiresAt,
      })
      .execute();
  },

  mine(db: Executor, userId: string) {
    return db
      .selectFrom('basenames')
      .innerJoin('wallets', 'wallets.id', 'basenames.wallet_id')
      .select(['basenames.name', 'basenames.wallet_id', 'basenames.registered_at', 'basenames.expires_at', 'basenames.transaction_id', 'wallets.address'])
      .where('basenames.user_id', '=', userId)
      .orderBy('basenames.name')
      .execute();
  },

  history(db: Executor, userId: string) {
    return db
      .selectFrom('basename_history')
      .leftJoin('transactions', 'transactions.id', 'basename_history.transaction_id')
      .select([
        'basename_history.id', 'basename_history.name', 'basename_history.action', 'basename_history.wallet_id', 'basename_history.transaction_id',
        'basename_history.cost', 'basename_history.expires_at', 'basename_history.created_at', 'transactions.hash', 'transactions.status',
      ])
      .where('basename_history.user_id', '=', userId)
      .orderBy('basename_history.created_at', 'desc')
      .execute();
  },

  /** A name whose fee payment failed is released. */
  async releaseByTransaction(db: Executor, transactionId: string) {
    await db.deleteFrom('basenames').where('transaction_id', '=', transactionId).execute();
  },
};
