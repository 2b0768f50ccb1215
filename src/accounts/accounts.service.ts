import { randomBytes } from 'node:crypto';
import { uuidv7 } from 'uuidv7';
import type { AppDeps } from '../platform/deps.js';
import { withTransaction, type Executor } from '../platform/db/db.transaction.js';
import type { ActorContext, RequestContext } from '../platform/http/http.context.js';
import { AppError, httpError } from '../platform/http/http.errors.js';
import type { AuthUser } from '../platform/http/http.types.js';
import { isLocale } from '../platform/i18n/i18n.service.js';
import { normalizeRecoveryCode, sha256, type SecretBox } from './accounts.crypto.js';
import { codesRepo } from './accounts.codes.repo.js';
import { accountsError, passwordError } from './accounts.errors.js';
import { LOCKOUT_WINDOW_MS, lockedUntil } from './accounts.lockout.js';
import { hashPassword, passwordProblems, samePassword, verifyPassword } from './accounts.passwords.js';
import { accountsRepo, type UserRow } from './accounts.repo.js';
import { Batcher } from '../platform/batching/batching.batcher.js';
import type { LiveIdentity, LiveSessions } from './accounts.liveness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
import { issueSession, type IssuedTokens } from './accounts.sessions.js';
import { checkTotp } from './accounts.totp.js';
import type { VerificationService } from './accounts.verification.service.js';
import { userView, type UserView } from './accounts.views.js';

export interface RegisterInput {
  email: string;
  password: string;
  name: string;
  phone?: string;
  locale?: string;
  timezone?: string;
}

export interface LoginInput {
  email?: string;
  phone?: string;
  password: string;
  totpCode?: string;
  recoveryCode?: string;
}

type LoginFailure = 'bad_credentials' | 'totp_required' | 'bad_totp' | 'locked' | 'disabled';
/** How a session was opened, as the login history (GET /me/logins) tells it: a sign-in's factor, or the sign-up itself. */
type SignInMethod = 'password' | 'totp' | 'recovery_code' | 'sign_up';

/** Emails are compared trimmed and lower-cased (the column is citext as well). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The lockout key for what a person typed: the same for existing and unknown accounts. */
export function identifierHash(kind: 'email' | 'phone', value: string): string {
  return sha256(`${kind}:${kind === 'email' ? normalizeEmail(value) : value.trim()}`);
}

/** The throttle key of an account's step-up second factor (email change, deletion): apart from what sign-in counts. */
function stepUpHash(userId: string): string {
  return sha256(`step-up:${userId}`);
}

function userIdentifierHashes(user: Pick<UserRow, 'email' | 'phone'>): string[] {
  return [identifierHash('email', user.email), ...(user.phone ? [identifierHash('phone', user.phone)] : [])];
}

/** Sign-up, sign-in, token refresh and sign-out; also the user lookups other domains use. */
/** Records a password change and the sign-out of every device it caused. */
export async function recordPasswordChanged(deps: AppDeps, trx: Executor, userId: string, families: string[], ctx: ActorContext): Promise<void> {
  await deps.events.record(trx, { type: 'auth.password_changed', actorId: userId, userIds: [userId], data: {}, context: ctx });
  for (const sessionId of families) {
    await deps.events.record(trx, { type: 'auth.session_revoked', actorId: userId, userIds: [userId], data: { sessionId, reason: 'password_change' }, context: ctx });
  }
}

export class AccountsService {
  /** Session checks of requests arriving together share one query (see Batcher). */
  private readonly identities = new Batcher<string, LiveIdentity | undefined>(async (sessionIds) => {
    const rows = new Map((await accountsRepo.findLiveIdentities(this.deps.db, [...new Set(sessionIds)])).map((r) => [r.session_id, r]));
    return sessionIds.map((id) => rows.get(id));
  }, { maxBatch: 200, concurrency: 2 });

  constructor(
    private readonly deps: AppDeps,
    private readonly totpBox: SecretBox,
    private readonly verification: VerificationService,
    private readonly liveSessions: LiveSessions,
  ) {}

  /** Creates an account with an argon2id hash, signs it in and mails an email-verification link. */
  async register(input: RegisterInput, ctx: ActorContext & { locale: string }): Promise<{ user: UserView } & IssuedTokens> {
    const email = normalizeEmail(input.email);
    const problems = passwordProblems(input.password, { email, name: input.name });
    if (problems.length) throw passwordError(problems);
    const passwordHash = await hashPassword(input.password);
    return this.answerTaken(withTransaction(this.deps.db, async (trx) => {
      if (await accountsRepo.findByEmail(trx, email)) throw accountsError('email_taken');
      // another account's phone, even unverified, stays its own until someone verifies it by SMS
      if (input.phone && (await accountsRepo.findByPhone(trx, input.phone))) throw accountsError('phone_taken');
      const user = await accountsRepo.insertUser(trx, {
        id: uuidv7(),
        email,
        name: input.name.trim(),
        phone: input.phone ?? null,
        password_hash: passwordHash,
        locale: input.locale && isLocale(input.locale) ? input.locale : isLocale(ctx.locale) ? ctx.locale : 'en',
        ...(input.timezone ? { timezone: input.timezone } : {}),
        password_changed_at: new Date(),
      });
      // the sign-up opens a session: it is the account's first entry in the login history
      await this.recordSignIn(trx, user.id, identifierHash('email', email), 'sign_up', ctx);
      const { tokens } = await issueSession(trx, this.deps.tokens, this.deps.config.REFRESH_TOKEN_TTL_DAYS, user, ctx);
      await this.deps.events.record(trx, { type: 'auth.registered', actorId: user.id, userIds: [user.id], data: { email }, context: ctx });
      await this.verification.sendVerificationLink(trx, user);
      return { user: userView(user), ...tokens };
    }));
  }

  /** A sign-up that lost a race for its email or phone to a concurrent one answers email_taken or phone_taken too, not a generic conflict. */
  private async answerTaken<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (err) {
      const taken = accountsRepo.takenIdentifier(err);
      if (taken) throw accountsError(taken === 'email' ? 'email_taken' : 'phone_taken');
      throw err;
    }
  }

  /**
   * Signs in with email or verified phone + password (+ TOTP or a recovery code when 2FA is on).
   * Unknown accounts take the same path (a dummy hash is verified) and get the same answer.
   * Attempts on one identifier run one at a time (pause check, verification and the recorded
   * failure under one lock), so parallel guesses cannot all pass the same pause check.
   */
  async login(input: LoginInput, ctx: ActorContext): Promise<{ user: UserView } & IssuedTokens> {
    const kind = input.email !== undefined ? 'email' : 'phone';
    const idHash = identifierHash(kind, (input.email ?? input.phone)!);
    const db = this.deps.db;
    const user =
      (kind === 'email'
        ? await accountsRepo.findByEmail(db, normalizeEmail(input.email!))
        : await accountsRepo.findByPhone(db, input.phone!.trim()).then((u) => (u?.phone_verified_at ? u : undefined))) ?? null;
    // a lock-free look first: while paused, attempts are refused without queueing for the lock
    const paused = await this.pauseAnswer(db, user, idHash, ctx);
    if (paused) throw paused;
    const outcome = await withTransaction(db, async (trx): Promise<AppError | ({ user: UserView } & IssuedTokens)> => {
      await accountsRepo.lockLoginIdentifier(trx, idHash);
      const stillPaused = await this.pauseAnswer(trx, user, idHash, ctx);
      if (stillPaused) return stillPaused;
      const passwordOk = await verifyPassword(user?.password_hash ?? null, input.password);
      if (!user || !passwordOk) {
        await this.recordFailure(trx, user, idHash, 'bad_credentials', true, ctx);
        return accountsError('invalid_credentials');
      }
      if (user.disabled_at) {
        await this.recordFailure(trx, user, idHash, 'disabled', false, ctx);
        return accountsError('account_disabled');
      }
      let method: Exclude<SignInMethod, 'sign_up'> = 'password';
      if (user.totp_enabled_at) {
        if (!input.totpCode && !input.recoveryCode) {
          await this.recordFailure(trx, user, idHash, 'totp_required', false, ctx);
          return accountsError('totp_required');
        }
        method = input.totpCode ? 'totp' : 'recovery_code';
        const locked = (await accountsRepo.findByIdForUpdate(trx, user.id))!;
        if (!(await this.checkSecondFactor(trx, locked, input))) {
          await this.recordFailure(trx, user, idHash, 'bad_totp', true, ctx);
          return accountsError('totp_invalid');
        }
      }
      // the account as it is now, not as the look before the lock saw it: one disabled or deleted meanwhile gets no session
      const current = await accountsRepo.findByIdForShare(trx, user.id);
      if (!current || current.disabled_at) return accountsError(current?.deleted_at ? 'invalid_credentials' : 'account_disabled');
      await accountsRepo.clearLockout(trx, [idHash, ...userIdentifierHashes(user)]);
      await this.recordSignIn(trx, user.id, idHash, method, ctx);
      const { tokens } = await issueSession(trx, this.deps.tokens, this.deps.config.REFRESH_TOKEN_TTL_DAYS, user, ctx);
      await this.deps.events.record(trx, { type: 'auth.login_succeeded', actorId: user.id, userIds: [user.id], data: { method }, context: ctx });
      return { user: userView(user), ...tokens };
    });
    if (outcome instanceof AppError) throw outcome;
    return outcome;
  }

  /** The 429 login_throttled to answer while the identifier is paused (the refused attempt recorded, not counted), or null. */
  private async pauseAnswer(db: Executor, user: UserRow | null, idHash: string, ctx: ActorContext): Promise<AppError | null> {
    const failures = await accountsRepo.recentFailures(db, idHash, LOCKOUT_WINDOW_MS);
    const until = lockedUntil(failures.count, failures.last);
    if (!until) return null;
    await this.recordFailure(db, user, idHash, 'locked', false, ctx);
    const seconds = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
    return accountsError('login_throttled', { seconds }, [], { 'retry-after': String(seconds) });
  }

  /**
   * Before a step-up second factor (email change, account deletion): refused with 429 totp_code_throttled while
   * the account's step-up is paused, without checking anything. Its own count (the sign-in policy's numbers),
   * fed only by a signed-in session's wrong codes: strangers failing sign-ins cannot pause it.
   */
  async secondFactorPause(user: UserRow): Promise<void> {
    const failures = await accountsRepo.recentFailures(this.deps.db, stepUpHash(user.id), LOCKOUT_WINDOW_MS);
    const until = lockedUntil(failures.count, failures.last);
    if (!until) return;
    const seconds = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
    throw accountsError('totp_code_throttled', { seconds }, [], { 'retry-after': String(seconds) });
  }

  /** A wrong step-up TOTP code, recorded (after its transaction rolled back) as a counted failure of the account's step-up. */
  async recordSecondFactorFailure(user: UserRow, ctx: ActorContext): Promise<void> {
    await this.recordFailure(this.deps.db, user, stepUpHash(user.id), 'bad_totp', true, ctx);
  }

  /** A step-up passed: its earlier wrong codes stop counting (as a sign-in clears the sign-in count). */
  async clearSecondFactorFailures(user: UserRow): Promise<void> {
    await accountsRepo.clearLockout(this.deps.db, [stepUpHash(user.id)]);
  }

  /** Checks a TOTP code (advancing the replay guard) or uses up a recovery code, on a locked user row. */
  async checkSecondFactor(trx: Executor, user: UserRow, input: { totpCode?: string; recoveryCode?: string }): Promise<boolean> {
    if (input.totpCode) {
      if (!user.totp_secret) return false;
      const step = await checkTotp(this.totpBox.open(user.totp_secret), input.totpCode, user.totp_last_step === null ? null : Number(user.totp_last_step));
      if (step === null) return false;
      await accountsRepo.updateUser(trx, user.id, { totp_last_step: step });
      return true;
    }
    if (input.recoveryCode) return codesRepo.useRecoveryCode(trx, user.id, sha256(normalizeRecoveryCode(input.recoveryCode)));
    return false;
  }

  /** A session opened (sign-in or sign-up), as an entry of the user's login history. */
  private async recordSignIn(trx: Executor, userId: string, idHash: string, method: SignInMethod, ctx: ActorContext): Promise<void> {
    await accountsRepo.insertLoginAttempt(trx, {
      id: uuidv7(),
      user_id: userId,
      identifier_hash: idHash,
      success: true,
      reason: null,
      method,
      ip: ctx.ip,
      user_agent: ctx.userAgent,
      created_at: new Date(),
    });
  }

  private async recordFailure(db: Executor, user: UserRow | null, idHash: string, reason: LoginFailure, counts: boolean, ctx: ActorContext): Promise<void> {
    await withTransaction(db, async (trx) => {
      await accountsRepo.insertLoginAttempt(trx, {
        id: uuidv7(),
        user_id: user?.id ?? null,
        identifier_hash: idHash,
        success: false,
        reason,
        method: 'password',
        counts_for_lockout: counts,
        ip: ctx.ip,
        user_agent: ctx.userAgent,
        created_at: new Date(),
      });
      if (user && reason !== 'disabled') {
        await this.deps.events.record(trx, { type: 'auth.login_failed', actorId: null, userIds: [user.id], data: { reason }, context: ctx });
      }
    });
  }

  /**
   * Rotates a refresh token: the presented row is marked rotated and a new row of the same family
   * is issued. Presenting an already-rotated token revokes the whole family (token theft).
   */
  async refresh(refreshToken: string, ctx: ActorContext): Promise<IssuedTokens> {
    const outcome = await withTransaction(this.deps.db, async (trx) => {
      const row = await accountsRepo.findSessionByHashForUpdate(trx, sha256(refreshToken));
      if (!row) return 'refresh_invalid' as const;
      if (row.rotated_at) {
        if (await accountsRepo.revokeFamily(trx, row.family_id, 'refresh_reuse')) {
          this.liveSessions.forgetUserOnCommit(trx, row.user_id);
          await this.deps.events.record(trx, {
            type: 'auth.session_revoked',
            actorId: null,
            userIds: [row.user_id],
            data: { sessionId: row.family_id, reason: 'refresh_reuse' },
            context: ctx,
          });
        }
        return 'refresh_reused' as const;
      }
      if (row.revoked_at || row.expires_at <= new Date()) return 'refresh_invalid' as const;
      // a disable or deletion committing meanwhile is waited for, so no session outlives it
      const user = await accountsRepo.findByIdForShare(trx, row.user_id);
      if (!user || user.disabled_at) return 'refresh_invalid' as const;
      await accountsRepo.markRotated(trx, row.id);
      const { tokens } = await issueSession(trx, this.deps.tokens, this.deps.config.REFRESH_TOKEN_TTL_DAYS, user, ctx, row);
      return tokens;
    });
    if (typeof outcome === 'string') throw accountsError(outcome);
    return outcome;
  }

  /** Signs the current device out: its whole session family is revoked. */
  async logout(ctx: RequestContext): Promise<void> {
    await withTransaction(this.deps.db, async (trx) => {
      const session = ctx.user.sessionId ? await accountsRepo.findSession(trx, ctx.user.sessionId) : undefined;
      if (!session || session.user_id !== ctx.user.id) return;
      await accountsRepo.revokeFamily(trx, session.family_id, 'logout');
      this.liveSessions.forgetUserOnCommit(trx, ctx.user.id);
      await this.deps.events.record(trx, {
        type: 'auth.logged_out',
        actorId: ctx.user.id,
        userIds: [ctx.user.id],
        data: { sessionId: session.family_id },
        context: ctx,
      });
    });
  }

  /**
   * Re-authentication before a security change (password, turning 2FA on): an access token alone
   * must not be enough, so the signed-in user's current password is asked for again (body.currentPassword).
   */
  async reauthenticate(ctx: RequestContext, currentPassword: string): Promise<UserRow> {
    const user = await accountsRepo.findById(this.deps.db, ctx.user.id);
    if (!user) throw accountsError('user_not_found');
    if (!(await verifyPassword(user.password_hash, currentPassword))) {
      throw accountsError('current_password_invalid', {}, [{ field: 'body.currentPassword', code: 'wrong', message: 'validation.current_password' }]);
    }
    return user;
  }

  /**
   * Changes the password of the signed-in user (current password required); every other device is signed out.
   * A new password equal to the current one is 422 password_unchanged: it would sign devices out and change nothing.
   */
  async changePassword(ctx: RequestContext, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.reauthenticate(ctx, currentPassword);
    // currentPassword was just checked against the stored hash, so comparing the two as hashing sees them is enough
    if (samePassword(currentPassword, newPassword)) {
      throw accountsError('password_unchanged', {}, [{ field: 'body.newPassword', code: 'same', message: 'validation.password_same' }]);
    }
    const problems = passwordProblems(newPassword, { email: user.email, name: user.name }).map((p) => ({ ...p, field: 'body.newPassword' }));
    if (problems.length) throw passwordError(problems);
    const passwordHash = await hashPassword(newPassword);
    await withTransaction(this.deps.db, async (trx) => {
      const current = ctx.user.sessionId ? await accountsRepo.findSession(trx, ctx.user.sessionId) : undefined;
      await accountsRepo.updateUser(trx, user.id, { password_hash: passwordHash, password_changed_at: new Date() });
      const families = await accountsRepo.revokeUserSessions(trx, user.id, 'password_change', current?.family_id ?? null);
      this.liveSessions.forgetUserOnCommit(trx, user.id);
      await accountsRepo.clearLockout(trx, userIdentifierHashes(user));
      await recordPasswordChanged(this.deps, trx, user.id, families, ctx);
    });
  }

  /** A user by id, for other domains (null when unknown). */
  async findById(id: string, db: Executor = this.deps.db): Promise<UserView | null> {
    const row = await accountsRepo.findById(db, id);
    return row ? userView(row) : null;
  }

  /** Users' display names by id, for other domains that show who is on the other side (one query). */
  async displayNames(ids: Array<string | null>, db: Executor = this.deps.db): Promise<Map<string, string>> {
    const wanted = [...new Set(ids.filter((id): id is string => !!id))];
    if (!wanted.length) return new Map();
    return new Map((await accountsRepo.namesByIds(db, wanted)).map((u) => [u.id, u.name]));
  }

  /** A user by email (case-insensitive), for other domains (wallets resolves recipients). */
  async findByEmail(email: string, db: Executor = this.deps.db): Promise<UserView | null> {
    const row = await accountsRepo.findByEmail(db, normalizeEmail(email));
    return row ? userView(row) : null;
  }

  /** Whether the account exists and is neither disabled nor deleted: who may still be paid. */
  async isActive(id: string, db: Executor = this.deps.db): Promise<boolean> {
    const row = await accountsRepo.findById(db, id);
    return !!row && !row.disabled_at;
  }

  /** An active (not disabled) user by email: who a payment to an email address reaches. */
  async findActiveByEmail(email: string, db: Executor = this.deps.db): Promise<UserView | null> {
    const row = await accountsRepo.findByEmail(db, normalizeEmail(email));
    return row && !row.disabled_at ? userView(row) : null;
  }

  /** Locks users (in id order) for a spending-limit check on the caller's transaction; answers each one's KYC status. */
  async lockForSpending(trx: Executor, userIds: string[]): Promise<Map<string, UserView['kycStatus']>> {
    if (!userIds.length) return new Map();
    const rows = await accountsRepo.lockForSpending(trx, userIds);
    return new Map(rows.map((r) => [r.id, r.kyc_status]));
  }

  /** The operator's `npm run admin -- create`: a verified admin with a generated password (shown once). */
  async createAdmin(email: string, name: string): Promise<{ user: UserView; password: string }> {
    const password = randomBytes(18).toString('base64url');
    const passwordHash = await hashPassword(password);
    return this.answerTaken(withTransaction(this.deps.db, async (trx) => {
      if (await accountsRepo.findByEmail(trx, normalizeEmail(email))) throw accountsError('email_taken');
      const user = await accountsRepo.insertUser(trx, {
        id: uuidv7(),
        email: normalizeEmail(email),
        name,
        password_hash: passwordHash,
        role: 'admin',
        email_verified_at: new Date(),
        password_changed_at: new Date(),
      });
      await this.deps.events.record(trx, { type: 'auth.registered', actorId: null, userIds: [user.id], data: { email: user.email } });
      return { user: userView(user), password };
    }));
  }

  /** The operator's `npm run admin -- promote`: gives an existing account the admin role. */
  async promote(email: string): Promise<UserView> {
    const row = await accountsRepo.findByEmail(this.deps.db, normalizeEmail(email));
    if (!row) throw accountsError('user_not_found');
    const promoted = await accountsRepo.updateUser(this.deps.db, row.id, { role: 'admin' });
    this.liveSessions.forget([`u:${row.id}`]);
    return userView(promoted);
  }

  /** A session's live identity from the database (batched with other requests'), remembered while it stays good. */
  private async readIdentity(sessionId: string): Promise<LiveIdentity | undefined> {
    const mark = this.liveSessions.mark();
    const row = await this.identities.run(sessionId);
    if (row) this.liveSessions.remember(mark, row);
    return row;
  }

  /**
   * The auth guard's resolver: the token's user and session must still be live (remembered by this
   * node while nothing that decides it changes: see LiveSessions). This is the one place admin
   * powers are decided: an admin without 2FA is refused on admin routes and acts as a user elsewhere.
   */
  async resolve(claims: AuthUser, adminRoute: boolean): Promise<AuthUser | null> {
    // a malformed id must not fail the other requests of its batch
    if (!claims.sessionId || !UUID.test(claims.sessionId)) return null;
    const row = this.liveSessions.get(claims.sessionId) ?? (await this.readIdentity(claims.sessionId));
    if (!row || row.id !== claims.id) return null;
    const user: AuthUser = { id: row.id, role: row.role, sessionId: row.session_id, sessionFamilyId: row.family_id };
    if (row.role !== 'admin' || row.totp_enabled_at) return user;
    if (adminRoute) throw httpError('admin_2fa_required');
    return { ...user, role: 'user', adminWithout2fa: true };
  }
}
