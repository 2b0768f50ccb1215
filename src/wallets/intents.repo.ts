import { sql } from 'kysely';
import type { Executor } from '../platform/db/db.transaction.js';
import type { IntentStatus } from './wallets.tables.js';

/** At most this many of one user's due requests are expired by one read (the expiry job takes the rest). */
const DUE_AT_ONCE = 500;

export const intentsRepo = {
  /** A deleted user's payment requests lose their memos, and requests to them name the payer by address only. */
  async eraseParty(db: Executor, userId: string): Promise<void> {
    await db.updateTable('payment_intents').set({ memo: null }).where('requester_id', '=', userId).execute();
    await db.updateTable('payment_intents').set((eb) => ({ payer_label: eb.ref('payer_address') })).where('payer_id', '=', userId).execute();
  },

  async insert(
    db: Executor,
    i: { id: string; requesterId: string; requesterWalletId: string; payerId: string | null; payerAddress: string; payerLabel: string; amount: bigint; token: string; memo: string | null; expiresAt: Date },
  ) {
    return db
      .insertInto('payment_intents')
      .values({
        id: i.id,
        requester_id: i.requesterId,
        requester_wallet_id: i.requesterWalletId,
        payer_id: i.payerId,
        payer_address: i.payerAddress,
        payer_label: i.payerLabel,
        amount: i.amount.toString(),
        token: i.token,
        memo: i.memo,
        status: 'created',
        transaction_id: null,
        expires_at: i.expiresAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  byId(db: Executor, id: string) {
    return db.selectFrom('payment_intents').selectAll().where('id', '=', id).executeTakeFirst();
  },

  lock(db: Executor, id: string) {
    return db.selectFrom('payment_intents').selectAll().where('id', '=', id).forNoKeyUpdate().executeTakeFirst();
  },

  /** A user's open requests, as requester or payer, locked (account deletion cancels them). */
  openOf(db: Executor, userId: string) {
    return db
      .selectFrom('payment_intents')
      .selectAll()
      .where('status', '=', 'created')
      .where((eb) => eb.or([eb('requester_id', '=', userId), eb('payer_id', '=', userId)]))
      .forNoKeyUpdate()
      .execute();
  },

  byTransaction(db: Executor, transactionId: string) {
    return db.selectFrom('payment_intents').selectAll().where('transaction_id', '=', transactionId).forNoKeyUpdate().executeTakeFirst();
  },

  async setStatus(db: Executor, id: string, status: IntentStatus, transactionId?: string | null) {
    return db
      .updateTable('payment_intents')
      .set({ status, updated_at: new Date(), ...(transactionId !== undefined ? { transaction_id: transactionId } : {}) })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** Newest first by id (a UUIDv7, so creation order to the millisecond), older than `beforeId` when given. */
  list(db: Executor, userId: string, f: { status?: IntentStatus; role?: 'requester' | 'payer' }, limit: number, beforeId: string | null) {
    let q = db.selectFrom('payment_intents').selectAll();
    if (beforeId) q = q.where('id', '<', beforeId);
    if (f.role === 'requester') q = q.where('requester_id', '=', userId);
    else if (f.role === 'payer') q = q.where('payer_id', '=', userId);
    else q = q.where((eb) => eb.or([eb('requester_id', '=', userId), eb('payer_id', '=', userId)]));
    if (f.status) q = q.where('status', '=', f.status);
    return q.orderBy('id', 'desc').limit(limit).execute();
  },

  /** Whether any open request in the scope is past its expiry (a lock-free look before expiring). */
  async anyDue(db: Executor, scope: DueScope): Promise<boolean> {
    const row = await dueIn(db, scope).select('id').limit(1).executeTakeFirst();
    return row !== undefined;
  },

  /**
   * Open requests past their expiry, locked for expiring them: up to `limit` of any for the expiry
   * job (skipping rows another transaction holds), or one request's or up to DUE_AT_ONCE of one
   * user's (waiting for those locks, taken in id order; the job expires any beyond).
   */
  expiredOpen(db: Executor, scope: DueScope) {
    const due = dueIn(db, scope).selectAll();
    if ('limit' in scope) return due.limit(scope.limit).forNoKeyUpdate().skipLocked().execute();
    return due.orderBy('id').limit(DUE_AT_ONCE).forNoKeyUpdate().execute();
  },
};

type DueScope = { limit: number } | { id: string } | { userId: string };

function dueIn(db: Executor, scope: DueScope) {
  const due = db.selectFrom('payment_intents').where('status', '=', 'created').where('expires_at', '<=', sql<Date>`now()`);
  if ('id' in scope) return due.where('id', '=', scope.id);
  if ('userId' in scope) return due.where((eb) => eb.or([eb('requester_id', '=', scope.userId), eb('payer_id', '=', scope.userId)]));
  return due;
}

export type IntentRow = NonNullable<Awaited<ReturnType<typeof intentsRepo.byId>>>;
