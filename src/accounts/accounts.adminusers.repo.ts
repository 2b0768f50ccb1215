import { sql } from 'kysely';
import type { Executor } from '../platform/db/db.transaction.js';
import type { UserRow } from './accounts.repo.js';
import type { KycStatus } from './accounts.tables.js';

/** The advisory-lock key under which admins' changes to who is an enabled admin run one at a time. */
const ADMIN_MEMBERSHIP_LOCK = 727_102;

export interface UserSearch {
  q?: string;
  role?: 'user' | 'admin';
  disabled?: boolean;
  kycStatus?: KycStatus;
}

/** A LIKE pattern matching text anywhere, its own wildcards taken literally. */
function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export const adminUsersRepo = {
  /** Users matching the search, newest first (ids are UUIDv7), after a cursor id. */
  async search(db: Executor, s: UserSearch, limit: number, beforeId: string | null): Promise<UserRow[]> {
    let q = db.selectFrom('users').selectAll();
    if (s.q) {
      const pattern = containing(s.q);
      q = q.where((eb) => eb.or([eb('email', 'ilike', pattern), eb('name', 'ilike', pattern)]));
    }
    if (s.role) q = q.where('role', '=', s.role);
    if (s.disabled !== undefined) q = q.where('disabled_at', s.disabled ? 'is not' : 'is', null);
    if (s.kycStatus) q = q.where('kyc_status', '=', s.kycStatus);
    if (beforeId) q = q.where('id', '<', beforeId);
    return q.orderBy('id', 'desc').limit(limit + 1).execute();
  },

  /** Signed-in devices of a user: live session families. */
  async countLiveSessions(db: Executor, userId: string): Promise<number> {
    const row = await db
      .selectFrom('sessions')
      .select((eb) => eb.fn.count<string>('family_id').distinct().as('n'))
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /** When the user last signed in successfully (a sign-up counts as the first), or null. */
  async lastSignIn(db: Executor, userId: string): Promise<Date | null> {
    const row = await db
      .selectFrom('login_attempts')
      .select((eb) => eb.fn.max('created_at').as('at'))
      .where('user_id', '=', userId)
      .where('success', '=', true)
      .executeTakeFirstOrThrow();
    return row.at ? new Date(row.at) : null;
  },

  /** Holds, until the transaction ends, every other admin action that could change who the enabled admins are. */
  async lockAdminMembership(db: Executor): Promise<void> {
    await sql`select pg_advisory_xact_lock(${ADMIN_MEMBERSHIP_LOCK}, 0)`.execute(db);
  },

  /** Ids of the admins who are not disabled. */
  async enabledAdminIds(db: Executor): Promise<string[]> {
    const rows = await db.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled_at', 'is', null).execute();
    return rows.map((r) => r.id);
  },

  async setDisabled(db: Executor, id: string, disabled: { at: Date; reason: string; by: string } | null): Promise<UserRow> {
    return db
      .updateTable('users')
      .set({ disabled_at: disabled?.at ?? null, disabled_reason: disabled?.reason ?? null, disabled_by: disabled?.by ?? null, updated_at: sql`now()` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async setRole(db: Executor, id: string, role: 'user' | 'admin'): Promise<UserRow> {
    return db.updateTable('users').set({ role, updated_at: sql`now()` }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  },
};
