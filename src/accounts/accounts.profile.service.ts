import type { AppDeps } from '../platform/deps.js';
import { withTransaction } from '../platform/db/db.transaction.js';
import type { RequestContext } from '../platform/http/http.context.js';
import { httpError } from '../platform/http/http.errors.js';
import { decodeCursor, toPage } from '../platform/http/http.pagination.js';
import { accountsError } from './accounts.errors.js';
import { accountsRepo } from './accounts.repo.js';
import { PREFERENCES_MAX_BYTES, preferencesBytes } from './accounts.schema.js';
import type { LiveSessions } from './accounts.liveness.js';
import { loginView, sessionView, userView, type UserView } from './accounts.views.js';

export interface ProfilePatch {
  name?: string;
  locale?: string;
  timezone?: string;
  preferences?: Record<string, unknown>;
}

/** The signed-in user's own account: profile, devices, login history, KYC; and the admin's KYC decision. */
export class ProfileService {
  constructor(
    private readonly deps: AppDeps,
    private readonly liveSessions: LiveSessions,
  ) {}

  /** The caller's profile. */
  async me(ctx: RequestContext): Promise<UserView> {
    const row = await accountsRepo.findById(this.deps.db, ctx.user.id);
    if (!row) throw accountsError('user_not_found');
    return userView(row);
  }

  /** Changes name, locale, timezone or preferences (merged key by key; the merged result must stay within 4 KB). */
  async update(ctx: RequestContext, patch: ProfilePatch): Promise<UserView> {
    return withTransaction(this.deps.db, async (trx) => {
      const row = await accountsRepo.findByIdForUpdate(trx, ctx.user.id);
      if (!row) throw accountsError('user_not_found');
      const fields = Object.keys(patch).filter((k) => patch[k as keyof ProfilePatch] !== undefined);
      const { preferences, ...plain } = patch;
      if (preferences && preferencesBytes({ ...(row.preferences as Record<string, unknown>), ...preferences }) > PREFERENCES_MAX_BYTES) {
        throw httpError('validation_failed', { count: 1 }, [
          { field: 'body.preferences', code: 'too_big', message: 'validation.preferences_merged_size', params: { kb: PREFERENCES_MAX_BYTES / 1024 } },
        ]);
      }
      if (Object.values(plain).some((v) => v !== undefined)) await accountsRepo.updateUser(trx, row.id, plain);
      if (preferences) await accountsRepo.mergePreferences(trx, row.id, preferences);
      if (fields.length) {
        await this.deps.events.record(trx, { type: 'auth.profile_updated', actorId: row.id, userIds: [row.id], data: { fields }, context: ctx });
      }
      return userView((await accountsRepo.findById(trx, row.id))!);
    });
  }

  /** The caller's signed-in devices (one per session family), the current one marked. */
  async sessions(ctx: RequestContext) {
    const current = ctx.user.sessionId ? await accountsRepo.findSession(this.deps.db, ctx.user.sessionId) : undefined;
    const rows = await accountsRepo.listLiveSessions(this.deps.db, ctx.user.id);
    return { items: rows.map((r) => sessionView(r, ctx.user.sessionId, current?.family_id ?? null)) };
  }

  /** Signs one of the caller's devices out; someone else's session is "not found". */
  async revokeSession(ctx: RequestContext, id: string): Promise<void> {
    await withTransaction(this.deps.db, async (trx) => {
      const live = await accountsRepo.listLiveSessions(trx, ctx.user.id);
      const target = live.find((s) => s.family_id === id || s.id === id);
      if (!target) throw accountsError('session_not_found');
      await accountsRepo.revokeFamily(trx, target.family_id, 'user');
      this.liveSessions.forgetUserOnCommit(trx, ctx.user.id);
      await this.deps.events.record(trx, {
        type: 'auth.session_revoked',
        actorId: ctx.user.id,
        userIds: [ctx.user.id],
        data: { sessionId: target.family_id, reason: 'user' },
        context: ctx,
      });
    });
  }

  /** The caller's sign-in history, newest first, cursor-paginated. */
  async logins(ctx: RequestContext, limit: number, cursor: string | undefined) {
    const rows = await accountsRepo.listLoginAttempts(this.deps.db, ctx.user.id, limit, decodeCursor(cursor));
    const page = toPage(rows, limit, (r) => ({ k: r.created_at.toISOString(), id: r.id }));
    return { ...page, items: page.items.map(loginView) };
  }

  /** Submits identity details for review; the status becomes pending. */
  async submitKyc(ctx: RequestContext, details: Record<string, unknown>): Promise<{ kycStatus: 'pending' }> {
    return withTransaction(this.deps.db, async (trx) => {
      const row = await accountsRepo.findByIdForUpdate(trx, ctx.user.id);
      if (!row) throw accountsError('user_not_found');
      if (row.kyc_status === 'verified') throw accountsError('kyc_already_verified');
      if (row.kyc_status === 'pending') throw accountsError('kyc_already_pending');
      await accountsRepo.updateUser(trx, row.id, { kyc_status: 'pending', kyc_details: JSON.stringify({ ...details, submittedAt: new Date().toISOString() }) });
      await this.deps.events.record(trx, { type: 'auth.kyc_submitted', actorId: row.id, userIds: [row.id], data: {}, context: ctx });
      return { kycStatus: 'pending' as const };
    });
  }

  /** For admins: users whose identity review is in a given state, with what they submitted. */
  async listKyc(status: 'none' | 'pending' | 'verified' | 'rejected', limit: number, cursor: string | undefined) {
    const after = decodeCursor(cursor);
    const rows = await accountsRepo.listByKycStatus(this.deps.db, status, limit, after?.id ?? null);
    // paged by id alone (the order of the list); k carries the row's time, as every cursor does
    const page = toPage(rows, limit, (r) => ({ k: new Date(r.created_at).toISOString(), id: r.id }));
    return { ...page, items: page.items.map((r) => ({ user: userView(r), details: (r.kyc_details ?? null) as Record<string, unknown> | null })) };
  }

  /**
   * An admin verifies or rejects a pending KYC submission. Never their own (403 kyc_self_review):
   * verifying lifts the unverified spending limit, so another admin must review it.
   */
  async decideKyc(ctx: RequestContext, userId: string, status: 'verified' | 'rejected', reason?: string): Promise<UserView> {
    if (userId === ctx.user.id) throw accountsError('kyc_self_review');
    return withTransaction(this.deps.db, async (trx) => {
      const row = await accountsRepo.findByIdForUpdate(trx, userId);
      if (!row) throw accountsError('user_not_found');
      if (row.kyc_status !== 'pending') throw accountsError('kyc_not_pending', { status: row.kyc_status });
      const details = { ...((row.kyc_details as Record<string, unknown>) ?? {}), decidedBy: ctx.user.id, decidedAt: new Date().toISOString(), reason: reason ?? null };
      const updated = await accountsRepo.updateUser(trx, userId, { kyc_status: status, kyc_details: JSON.stringify(details) });
      await this.deps.events.record(trx, { type: 'auth.kyc_decided', actorId: ctx.user.id, userIds: [userId], data: { status }, context: ctx });
      return userView(updated);
    });
  }
}
