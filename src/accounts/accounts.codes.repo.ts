import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../platform/db/db.transaction.js';
import type { AccountTokenPurpose, AccountTokensTable, PhoneCodesTable } from './accounts.tables.js';

export type AccountTokenRow = Selectable<AccountTokensTable>;
export type PhoneCodeRow = Selectable<PhoneCodesTable>;

/** Single-use secrets: mail-link tokens, 2FA recovery codes and phone codes (all stored hashed). */
export const codesRepo = {
  async insertToken(db: Executor, values: Insertable<AccountTokensTable>): Promise<void> {
    await db.insertInto('account_tokens').values(values).execute();
  },

  /** Retires a user's earlier unused links of one purpose, so only the newest works. */
  async retireTokens(db: Executor, userId: string, purpose: AccountTokenPurpose): Promise<void> {
    await db
      .updateTable('account_tokens')
      .set({ used_at: sql`now()` })
      .where('user_id', '=', userId)
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .execute();
  },

  async findTokenForUpdate(db: Executor, hash: string, purpose: AccountTokenPurpose): Promise<AccountTokenRow | undefined> {
    return db
      .selectFrom('account_tokens')
      .selectAll()
      .where('token_hash', '=', hash)
      .where('purpose', '=', purpose)
      .forUpdate()
      .executeTakeFirst();
  },

  async useToken(db: Executor, id: string): Promise<void> {
    await db.updateTable('account_tokens').set({ used_at: sql`now()` }).where('id', '=', id).execute();
  },

  async replaceRecoveryCodes(db: Executor, userId: string, rows: Array<{ id: string; code_hash: string }>): Promise<void> {
    await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    if (rows.length) await db.insertInto('recovery_codes').values(rows.map((r) => ({ ...r, user_id: userId, used_at: null }))).execute();
  },

  /** Marks one unused recovery code as used; true when it existed. */
  async useRecoveryCode(db: Executor, userId: string, hash: string): Promise<boolean> {
    const result = await db
      .updateTable('recovery_codes')
      .set({ used_at: sql`now()` })
      .where('user_id', '=', userId)
      .where('code_hash', '=', hash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  async countUnusedRecoveryCodes(db: Executor, userId: string): Promise<number> {
    const row = await db
      .selectFrom('recovery_codes')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  async insertPhoneCode(db: Executor, values: Insertable<PhoneCodesTable>): Promise<void> {
    await db.insertInto('phone_codes').values(values).execute();
  },

  async countPhoneCodesSince(db: Executor, userId: string, seconds: number): Promise<number> {
    const row = await db
      .selectFrom('phone_codes')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('user_id', '=', userId)
      .where('created_at', '>', sql<Date>`now() - make_interval(secs => ${seconds})`)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /** The newest unconsumed code sent to this user for this phone, locked. */
  async latestPhoneCodeForUpdate(db: Executor, userId: string, phone: string): Promise<PhoneCodeRow | undefined> {
    return db
      .selectFrom('phone_codes')
      .selectAll()
      .where('user_id', '=', userId)
      .where('phone', '=', phone)
      .where('consumed_at', 'is', null)
      .orderBy('created_at', 'desc')
      .limit(1)
      .forUpdate()
      .executeTakeFirst();
  },

  async recordPhoneCodeAttempt(db: Executor, id: string, consumed: boolean): Promise<void> {
    await db
      .updateTable('phone_codes')
      .set({ attempts: sql`attempts + 1`, consumed_at: consumed ? sql`now()` : null })
      .where('id', '=', id)
      .execute();
  },
};
