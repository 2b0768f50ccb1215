import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../platform/db/db.transaction.js';
import { compiledOnce } from '../platform/db/db.compiled.js';
import type { LoginAttemptsTable, SessionsTable, UsersTable } from './accounts.tables.js';
import type { CursorPosition } from '../platform/http/http.pagination.js';

export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type LoginAttemptRow = Selectable<LoginAttemptsTable>;

const USER_DEFAULTS = {
  phone: null,
  preferences: '{}',
  email_verified_at: null,
  phone_verified_at: null,
  totp_secret: null,
  totp_enabled_at: null,
  kyc_details: null,
  disabled_at: null,
} satisfies Partial<Insertable<UsersTable>>;

/** The advisory-lock namespace of sign-in attempts (two-key form: namespace, hash of the identifier). */
const LOGIN_LOCK = 727_101;

type NewUser = Omit<Insertable<UsersTable>, keyof typeof USER_DEFAULTS> & Partial<Insertable<UsersTable>>;

export const accountsRepo = {
  /** Inserts a user; the optional columns (phone, verification, 2FA, KYC, disabling) start empty unless given. */
  async insertUser(db: Executor, values: NewUser): Promise<UserRow> {
    return db.insertInto('users').values({ ...USER_DEFAULTS, ...values }).returningAll().executeTakeFirstOrThrow();
  },

  /** Which unique identifier an insert or update collided on (another account holds that email or phone), or null. */
  takenIdentifier(err: unknown): 'email' | 'phone' | null {
    const e = err as { code?: string; constraint?: string };
    if (e?.code !== '23505') return null;
    return e.constraint === 'users_email_key' ? 'email' : e.constraint === 'users_phone_key' ? 'phone' : null;
  },

  async findById(db: Executor, id: string): Promise<UserRow | undefined> {
    return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** Display names of users by id, in one query (unknown and deleted accounts are left out). */
  async namesByIds(db: Executor, ids: string[]): Promise<Array<{ id: string; name: string }>> {
    return db.selectFrom('users').select(['id', 'name']).where('id', '=', sql<string>`any(${ids}::uuid[])`).where('deleted_at', 'is', null).execute();
  },

  /** The user row under a share lock: a disable or deletion in progress (which locks it for update) is waited for and seen. */
  async findByIdForShare(db: Executor, id: string): Promise<UserRow | undefined> {
    return db.selectFrom('users').selectAll().where('id', '=', id).forShare().executeTakeFirst();
  },

  async findByIdForUpdate(db: Executor, id: string): Promise<UserRow | undefined> {
    return db.selectFrom('users').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  },

  /** Locks the user row against concurrent spending checks (no key update: rows referencing the user can still be inserted). */
  /** Locks users in id order (concurrent spenders never deadlock) and answers their KYC status. */
  async lockForSpending(db: Executor, ids: string[]) {
    return db.selectFrom('users').select(['id', 'kyc_status']).where('id', '=', sql<string>`any(${ids}::uuid[])`).orderBy('id').forNoKeyUpdate().execute();
  },

  async findByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
    return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  },

  async findByPhone(db: Executor, phone: string): Promise<UserRow | undefined> {
    return db.selectFrom('users').selectAll().where('phone', '=', phone).executeTakeFirst();
  },

  async updateUser(db: Executor, id: string, patch: Updateable<UsersTable>): Promise<UserRow> {
    return db
      .updateTable('users')
      .set({ ...patch, updated_at: sql`now()` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async mergePreferences(db: Executor, id: string, preferences: Record<string, unknown>): Promise<void> {
    await db
      .updateTable('users')
      .set({ preferences: sql`preferences || ${JSON.stringify(preferences)}::jsonb` as never, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  },

  /** Users by KYC status, oldest account first, after a cursor id. */
  async listByKycStatus(db: Executor, status: UserRow['kyc_status'], limit: number, afterId: string | null): Promise<UserRow[]> {
    let q = db.selectFrom('users').selectAll().where('kyc_status', '=', status);
    if (afterId) q = q.where('id', '>', afterId);
    return q.orderBy('id').limit(limit + 1).execute();
  },

  async insertSession(db: Executor, values: Insertable<SessionsTable>): Promise<SessionRow> {
    return db.insertInto('sessions').values(values).returningAll().executeTakeFirstOrThrow();
  },

  async findSessionByHashForUpdate(db: Executor, hash: string): Promise<SessionRow | undefined> {
    return db.selectFrom('sessions').selectAll().where('refresh_token_hash', '=', hash).forUpdate().executeTakeFirst();
  },

  async markRotated(db: Executor, id: string): Promise<void> {
    await db.updateTable('sessions').set({ rotated_at: sql`now()` as never, last_used_at: sql`now()` }).where('id', '=', id).execute();
  },

  /** Revokes every live row of a session family; returns the family ids that had live rows. */
  async revokeFamily(db: Executor, familyId: string, reason: string): Promise<number> {
    const result = await db
      .updateTable('sessions')
      .set({ revoked_at: sql`now()`, revoked_reason: reason })
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  },

  /** Revokes all of a user's sessions except one family; returns the revoked families. */
  async revokeUserSessions(db: Executor, userId: string, reason: string, exceptFamilyId: string | null = null): Promise<string[]> {
    let q = db
      .updateTable('sessions')
      .set({ revoked_at: sql`now()`, revoked_reason: reason })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null);
    if (exceptFamilyId) q = q.where('family_id', '!=', exceptFamilyId);
    const rows = await q.returning('family_id').execute();
    return [...new Set(rows.map((r) => r.family_id))];
  },

  /** The live sessions among `sessionIds` with their (enabled) users: one query for many authenticated requests. */
  findLiveIdentities: compiledOnce((db, sessionIds: string[]) =>
    db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select(['u.id', 'u.role', 'u.totp_enabled_at', 's.id as session_id', 's.family_id', 's.expires_at'])
      .where('s.id', '=', sql<string>`any(${sessionIds}::uuid[])`)
      .where('s.revoked_at', 'is', null)
      .where('s.expires_at', '>', sql<Date>`now()`)
      .where('u.disabled_at', 'is', null)),

  async findSession(db: Executor, id: string): Promise<SessionRow | undefined> {
    return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** One row per signed-in device: the current (not rotated) row of each live family. */
  async listLiveSessions(db: Executor, userId: string): Promise<SessionRow[]> {
    return db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('rotated_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .orderBy('last_used_at', 'desc')
      .execute();
  },

  async insertLoginAttempt(db: Executor, values: Insertable<LoginAttemptsTable>): Promise<void> {
    await db.insertInto('login_attempts').values(values).execute();
  },

  /**
   * Serializes sign-in attempts on one identifier until the transaction ends (attempts on other
   * identifiers go on in parallel; two identifiers whose hashes collide only share a lock).
   */
  async lockLoginIdentifier(db: Executor, identifierHash: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(${LOGIN_LOCK}, hashtext(${identifierHash}))`.execute(db);
  },

  /** Counted failures for an identifier within the window, and the time of the last one. */
  async recentFailures(db: Executor, identifierHash: string, windowMs: number): Promise<{ count: number; last: Date | null }> {
    const row = await db
      .selectFrom('login_attempts')
      .select((eb) => [eb.fn.countAll<string>().as('count'), eb.fn.max('created_at').as('last')])
      .where('identifier_hash', '=', identifierHash)
      .where('counts_for_lockout', '=', true)
      .where('created_at', '>', sql<Date>`now() - make_interval(secs => ${windowMs / 1000})`)
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), last: row.last ? new Date(row.last) : null };
  },

  async clearLockout(db: Executor, identifierHashes: string[]): Promise<void> {
    if (!identifierHashes.length) return;
    await db
      .updateTable('login_attempts')
      .set({ counts_for_lockout: false })
      .where('identifier_hash', 'in', identifierHashes)
      .where('counts_for_lockout', '=', true)
      .execute();
  },

  async listLoginAttempts(db: Executor, userId: string, limit: number, after: CursorPosition | null): Promise<LoginAttemptRow[]> {
    let q = db.selectFrom('login_attempts').selectAll().where('user_id', '=', userId);
    if (after) {
      q = q.where((eb) =>
        eb.or([eb('created_at', '<', new Date(after.k)), eb.and([eb('created_at', '=', new Date(after.k)), eb('id', '<', after.id)])]),
      );
    }
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  },
};
