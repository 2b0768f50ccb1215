import type { AppDeps } from '../platform/deps.js';
import { withTransaction, type Tx } from '../platform/db/db.transaction.js';
import type { RequestContext } from '../platform/http/http.context.js';
import { httpError } from '../platform/http/http.errors.js';
import { decodeCursor, toPage } from '../platform/http/http.pagination.js';
import { adminUsersError } from './accounts.adminusers.errors.js';
import { adminUsersRepo, type UserSearch } from './accounts.adminusers.repo.js';
import { accountsError } from './accounts.errors.js';
import type { LiveSessions } from './accounts.liveness.js';
import { accountsRepo, type UserRow } from './accounts.repo.js';
import { userView } from './accounts.views.js';

/** An account as an admin sees it in lists (never the hash, the 2FA seed, KYC details or preferences). */
export function adminUserView(row: UserRow) {
  const { preferences: _preferences, timezone: _timezone, ...user } = userView(row);
  return {
    ...user,
    disabled: row.disabled_at !== null,
    disabledAt: row.disabled_at?.toISOString() ?? null,
    disabledReason: row.disabled_reason,
    disabledBy: row.disabled_by,
    deleted: row.deleted_at !== null,
  };
}

export type AdminUserView = ReturnType<typeof adminUserView>;

/**
 * The rule every way out of the admins keeps (disabled, demoted, deleted), checked under the membership
 * lock against the enabled admins: the last one cannot leave (409 last_admin).
 */
export function assertAdminsRemain(enabledAdminIds: string[], leaving: Pick<UserRow, 'id' | 'role' | 'disabled_at'>): void {
  if (leaving.role === 'admin' && !leaving.disabled_at && !enabledAdminIds.some((adminId) => adminId !== leaving.id)) throw adminUsersError('last_admin');
}

/**
 * Admins manage accounts: search, look one up, disable and enable it, change its role. Every change
 * is recorded as an `auth.*` event with the acting admin as actor (the activity log's security
 * entries); asking for the state an account already has changes nothing, records nothing and answers 200.
 */
export class AdminUsersService {
  constructor(
    private readonly deps: AppDeps,
    private readonly liveSessions: LiveSessions,
  ) {}

  /** Accounts matching a search (part of email or name; role, disabled, KYC status), newest first. */
  async list(search: UserSearch, limit: number, cursor: string | undefined) {
    const after = decodeCursor(cursor);
    const rows = await adminUsersRepo.search(this.deps.db, search, limit, after?.id ?? null);
    const page = toPage(rows, limit, (r) => ({ k: r.created_at.toISOString(), id: r.id }));
    return { ...page, items: page.items.map(adminUserView) };
  }

  /** One account with its signed-in devices, last sign-in and wallets (from the wallets domain). */
  async get(id: string) {
    const db = this.deps.db;
    const row = await accountsRepo.findById(db, id);
    if (!row) throw accountsError('user_not_found');
    const [sessions, lastSignIn, wallets] = await Promise.all([
      adminUsersRepo.countLiveSessions(db, id),
      adminUsersRepo.lastSignIn(db, id),
      this.deps.services.wallets?.walletsOf(db, id) ?? [],
    ]);
    return {
      ...adminUserView(row),
      sessions,
      lastSignInAt: lastSignIn?.toISOString() ?? null,
      wallets: wallets.map((w) => ({ id: w.id, kind: w.kind, address: w.address, petId: w.petId })),
    };
  }

  /**
   * Disables an account: it cannot sign in, every session and refresh token is revoked at once, and its
   * live sockets are dropped (the database's identity notice reaches every node). Never oneself
   * (403 admin_self_disable), never the last enabled admin (409 last_admin).
   */
  async disable(ctx: RequestContext, id: string, reason: string): Promise<AdminUserView> {
    if (id === ctx.user.id) throw adminUsersError('admin_self_disable');
    return withTransaction(this.deps.db, async (trx) => {
      const row = await this.lockTarget(trx, id);
      if (row.disabled_at) return adminUserView(row);
      await this.mayChange(trx, ctx, row);
      const updated = await adminUsersRepo.setDisabled(trx, id, { at: new Date(), reason, by: ctx.user.id });
      const families = await accountsRepo.revokeUserSessions(trx, id, 'admin_disable');
      this.liveSessions.forgetUserOnCommit(trx, id);
      await this.deps.events.record(trx, {
        type: 'auth.user_disabled',
        actorId: ctx.user.id,
        userIds: [id],
        data: { reason, sessionsRevoked: families.length },
        context: ctx,
      });
      return adminUserView(updated);
    });
  }

  /**
   * Enables a disabled account again; it signs in anew: its revoked sessions stay revoked, and any session
   * still live (one a refresh racing the disable created) is revoked too.
   */
  async enable(ctx: RequestContext, id: string): Promise<AdminUserView> {
    return withTransaction(this.deps.db, async (trx) => {
      const row = await this.lockTarget(trx, id);
      if (!row.disabled_at) return adminUserView(row);
      await this.mayChange(trx, ctx, null);
      const updated = await adminUsersRepo.setDisabled(trx, id, null);
      // no session starts while an account is disabled, but a refresh racing the disable can leave one live (its
      // new row committed after the disable's revoking UPDATE took its snapshot): it would come back now
      if ((await accountsRepo.revokeUserSessions(trx, id, 'admin_disable')).length) this.liveSessions.forgetUserOnCommit(trx, id);
      await this.deps.events.record(trx, { type: 'auth.user_enabled', actorId: ctx.user.id, userIds: [id], data: {}, context: ctx });
      return adminUserView(updated);
    });
  }

  /**
   * Gives an account the role user or admin (admin powers still need the account's own 2FA). Never
   * demotes oneself (403 admin_self_demote) or the last enabled admin (409 last_admin).
   */
  async setRole(ctx: RequestContext, id: string, role: 'user' | 'admin'): Promise<AdminUserView> {
    if (id === ctx.user.id && role !== 'admin') throw adminUsersError('admin_self_demote');
    return withTransaction(this.deps.db, async (trx) => {
      const row = await this.lockTarget(trx, id);
      if (row.role === role) return adminUserView(row);
      await this.mayChange(trx, ctx, row);
      const updated = await adminUsersRepo.setRole(trx, id, role);
      this.liveSessions.forgetUserOnCommit(trx, id);
      await this.deps.events.record(trx, { type: 'auth.role_changed', actorId: ctx.user.id, userIds: [id], data: { from: row.role, to: role }, context: ctx });
      return adminUserView(updated);
    });
  }

  /** Takes the admin-membership lock (two admins cannot remove each other at the same moment) and locks the target row. */
  private async lockTarget(trx: Tx, id: string): Promise<UserRow> {
    await adminUsersRepo.lockAdminMembership(trx);
    const row = await accountsRepo.findByIdForUpdate(trx, id);
    if (!row) throw accountsError('user_not_found');
    // a deleted account stays deleted: enabling it or giving it a role would bring back an account its owner erased
    if (row.deleted_at) throw adminUsersError('account_deleted');
    return row;
  }

  /**
   * Under the membership lock, before a change: an enabled admin leaving (disabled or demoted) must not be
   * the last one (409 last_admin), and the acting admin must still be an enabled admin (403 forbidden):
   * one disabled or demoted by another admin a moment ago has lost the power it was checked for.
   */
  private async mayChange(trx: Tx, ctx: RequestContext, leaving: UserRow | null): Promise<void> {
    const admins = await adminUsersRepo.enabledAdminIds(trx);
    if (leaving) assertAdminsRemain(admins, leaving);
    if (!admins.includes(ctx.user.id)) throw httpError('forbidden');
  }
}
