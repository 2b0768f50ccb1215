import { sql } from 'kysely';
import type { Executor } from '../platform/db/db.transaction.js';

/** Chat /pay codes: one per prepared payment, spent once by /confirm or /cancel, or left to expire. */
export const payConfirmationsRepo = {
  async insert(db: Executor, c: { code: string; userId: string; request: unknown; expiresAt: Date }) {
    await db
      .insertInto('pay_confirmations')
      .values({ code: c.code, user_id: c.userId, request: JSON.stringify(c.request), expires_at: c.expiresAt, used_at: null })
      .execute();
  },

  /** Spends the user's code if it is still waiting (unused, unexpired); answers its prepared request, or undefined. */
  async spend(db: Executor, userId: string, code: string): Promise<unknown> {
    const row = await db
      .updateTable('pay_confirmations')
      .set({ used_at: new Date() })
      .where('user_id', '=', userId)
      .where('code', '=', code)
      .where('used_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .returning(['request'])
      .executeTakeFirst();
    return row?.request;
  },
};
