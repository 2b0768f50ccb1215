import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../platform/db/db.transaction.js';
import type { EmailChangesTable } from './accounts.tables.js';

export type EmailChangeRow = Selectable<EmailChangesTable>;

/** The advisory-lock space of requests for a code to one address (beside accounts' 727_101 sign-in, 727_102 admins). */
const ADDRESS_LOCK = 727_103;

/** Pending email-address changes (the code mailed to the new address, stored hashed). */
export const emailChangesRepo = {
  async insert(db: Executor, values: Insertable<EmailChangesTable>): Promise<void> {
    await db.insertInto('email_changes').values(values).execute();
  },

  /** Retires a user's earlier pending changes, so only the newest code works. */
  async retire(db: Executor, userId: string): Promise<void> {
    await db.updateTable('email_changes').set({ consumed_at: sql`now()` }).where('user_id', '=', userId).where('consumed_at', 'is', null).execute();
  },

  async countSince(db: Executor, userId: string, seconds: number): Promise<number> {
    const row = await db
      .selectFrom('email_changes')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('user_id', '=', userId)
      .where('created_at', '>', sql<Date>`now() - make_interval(secs => ${seconds})`)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /**
   * Holds, until the transaction ends, every other request for a code to this address: its count and its
   * new code are one step, so accounts asking at the same moment cannot all pass the same count.
   */
  async lockAddress(db: Executor, newEmail: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(${ADDRESS_LOCK}, hashtext(${newEmail}))`.execute(db);
  },

  /** Changes asked for to one address (any user) in the last `seconds`. */
  async countToAddressSince(db: Executor, newEmail: string, seconds: number): Promise<number> {
    const row = await db
      .selectFrom('email_changes')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('new_email', '=', newEmail)
      .where('created_at', '>', sql<Date>`now() - make_interval(secs => ${seconds})`)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /** The user's newest unconsumed change, locked. */
  async latestForUpdate(db: Executor, userId: string): Promise<EmailChangeRow | undefined> {
    return db
      .selectFrom('email_changes')
      .selectAll()
      .where('user_id', '=', userId)
      .where('consumed_at', 'is', null)
      .orderBy('created_at', 'desc')
      .limit(1)
      .forUpdate()
      .executeTakeFirst();
  },

  async recordAttempt(db: Executor, id: string, consumed: boolean): Promise<void> {
    await db
      .updateTable('email_changes')
      .set({ attempts: sql`attempts + 1`, consumed_at: consumed ? sql`now()` : null })
      .where('id', '=', id)
      .execute();
  },
};
