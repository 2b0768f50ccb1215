import { uuidv7 } from 'uuidv7';
import type { AppDeps } from '../platform/deps.js';
import { withTransaction, type Executor } from '../platform/db/db.transaction.js';
import type { ActorContext, RequestContext } from '../platform/http/http.context.js';
import { numericCode, randomToken, sha256 } from './accounts.crypto.js';
import { codesRepo } from './accounts.codes.repo.js';
import { accountsError, passwordError } from './accounts.errors.js';
import { publicBaseUrl, type Messages } from './accounts.messages.js';
import { hashPassword, passwordProblems } from './accounts.passwords.js';
import { accountsRepo, type UserRow } from './accounts.repo.js';
import type { LiveSessions } from './accounts.liveness.js';
import type { AccountTokenPurpose } from './accounts.tables.js';
import { identifierHash, normalizeEmail, recordPasswordChanged } from './accounts.service.js';

export const VERIFY_EMAIL_TTL_MS = 24 * 3_600_000;
export const RESET_PASSWORD_TTL_MS = 3_600_000;
export const PHONE_CODE_TTL_MS = 10 * 60_000;
export const PHONE_CODE_MAX_TRIES = 5;
export const PHONE_CODES_PER_HOUR = 5;

function phoneCodeHash(codeId: string, code: string): string {
  return sha256(`${codeId}:${code}`);
}

/** Proving control of a mailbox or a phone: verification links, password reset, SMS codes. */
export class VerificationService {
  constructor(
    private readonly deps: AppDeps,
    private readonly messages: Messages,
    private readonly liveSessions: LiveSessions,
  ) {}

  private async mailLink(trx: Executor, user: UserRow, purpose: AccountTokenPurpose): Promise<void> {
    const token = randomToken();
    await codesRepo.retireTokens(trx, user.id, purpose);
    await codesRepo.insertToken(trx, {
      id: uuidv7(),
      user_id: user.id,
      purpose,
      token_hash: sha256(token),
      expires_at: new Date(Date.now() + (purpose === 'verify_email' ? VERIFY_EMAIL_TTL_MS : RESET_PASSWORD_TTL_MS)),
      used_at: null,
    });
    const path = purpose === 'verify_email' ? 'verify-email' : 'reset-password';
    // no display name in these mails: whoever signs up chooses it, and the address may be someone else's
    await this.messages.queue(trx, {
      channel: 'email',
      to: user.email,
      template: purpose,
      locale: user.locale,
      params: { link: `${publicBaseUrl(this.deps.config)}/${path}?token=${token}`, hours: purpose === 'verify_email' ? 24 : 1 },
    });
  }

  /** Mails a fresh verification link (earlier links stop working); used at registration and on request. */
  async sendVerificationLink(trx: Executor, user: UserRow): Promise<void> {
    await this.mailLink(trx, user, 'verify_email');
  }

  /** Sends the signed-in user a new verification link. */
  async requestVerification(ctx: RequestContext): Promise<void> {
    await withTransaction(this.deps.db, async (trx) => {
      const user = await accountsRepo.findByIdForUpdate(trx, ctx.user.id);
      if (!user) throw accountsError('user_not_found');
      if (user.email_verified_at) throw accountsError('email_already_verified');
      await this.mailLink(trx, user, 'verify_email');
    });
  }

  private async consumeLink(trx: Executor, token: string, purpose: AccountTokenPurpose) {
    const row = await codesRepo.findTokenForUpdate(trx, sha256(token), purpose);
    if (!row || row.used_at || row.expires_at <= new Date()) throw accountsError('link_invalid');
    const user = await accountsRepo.findByIdForUpdate(trx, row.user_id);
    if (!user || user.disabled_at) throw accountsError('link_invalid');
    await codesRepo.useToken(trx, row.id);
    return user;
  }

  /** Marks the email verified with the token from the mailed link (single use, 24 h). */
  async verifyEmail(token: string, ctx: ActorContext): Promise<void> {
    await withTransaction(this.deps.db, async (trx) => {
      const user = await this.consumeLink(trx, token, 'verify_email');
      if (user.email_verified_at) return;
      await accountsRepo.updateUser(trx, user.id, { email_verified_at: new Date() });
      await this.deps.events.record(trx, { type: 'auth.email_verified', actorId: user.id, userIds: [user.id], data: {}, context: ctx });
    });
  }

  /** Mails a reset link when the account exists; answers the same either way. */
  async forgotPassword(email: string): Promise<void> {
    await withTransaction(this.deps.db, async (trx) => {
      const user = await accountsRepo.findByEmail(trx, normalizeEmail(email));
      if (!user || user.disabled_at) return;
      await this.mailLink(trx, user, 'reset_password');
    });
  }

  /** Sets a new password from a reset link (1 h, single use): every session is revoked and the lockout cleared. */
  async resetPassword(token: string, password: string, ctx: ActorContext): Promise<void> {
    const generic = passwordProblems(password);
    if (generic.length) throw passwordError(generic);
    const passwordHash = await hashPassword(password);
    await withTransaction(this.deps.db, async (trx) => {
      const user = await this.consumeLink(trx, token, 'reset_password');
      const personal = passwordProblems(password, { email: user.email, name: user.name });
      if (personal.length) throw passwordError(personal);
      await accountsRepo.updateUser(trx, user.id, {
        password_hash: passwordHash,
        password_changed_at: new Date(),
        email_verified_at: user.email_verified_at ?? new Date(),
      });
      const families = await accountsRepo.revokeUserSessions(trx, user.id, 'password_change');
      this.liveSessions.forgetUserOnCommit(trx, user.id);
      await accountsRepo.clearLockout(trx, [identifierHash('email', user.email), ...(user.phone ? [identifierHash('phone', user.phone)] : [])]);
      await recordPasswordChanged(this.deps, trx, user.id, families, ctx);
    });
  }

  /** Texts a 6-digit code to a phone the signed-in user wants to verify (10 min, 5 tries, 5 codes an hour). */
  async sendPhoneCode(ctx: RequestContext, phone: string): Promise<{ expiresInSeconds: number }> {
    await withTransaction(this.deps.db, async (trx) => {
      const user = await accountsRepo.findByIdForUpdate(trx, ctx.user.id);
      if (!user) throw accountsError('user_not_found');
      const owner = await accountsRepo.findByPhone(trx, phone);
      if (owner && owner.id !== user.id && owner.phone_verified_at) throw accountsError('phone_taken');
      if ((await codesRepo.countPhoneCodesSince(trx, user.id, 3600)) >= PHONE_CODES_PER_HOUR) {
        throw accountsError('sms_quota', {}, [], { 'retry-after': '3600' });
      }
      const id = uuidv7();
      const code = numericCode(6);
      await codesRepo.insertPhoneCode(trx, {
        id,
        user_id: user.id,
        phone,
        code_hash: phoneCodeHash(id, code),
        expires_at: new Date(Date.now() + PHONE_CODE_TTL_MS),
        consumed_at: null,
      });
      await this.messages.queue(trx, { channel: 'sms', to: phone, template: 'phone_code', locale: user.locale, params: { code, minutes: 10 } });
    });
    return { expiresInSeconds: PHONE_CODE_TTL_MS / 1000 };
  }

  /** Checks an SMS code; on success the phone becomes the user's verified phone. */
  async verifyPhone(ctx: RequestContext, phone: string, code: string): Promise<void> {
    const outcome = await withTransaction(this.deps.db, async (trx) => {
      const row = await codesRepo.latestPhoneCodeForUpdate(trx, ctx.user.id, phone);
      if (!row) return 'code_invalid' as const;
      if (row.expires_at <= new Date() || row.attempts >= PHONE_CODE_MAX_TRIES) return 'code_expired' as const;
      const ok = phoneCodeHash(row.id, code) === row.code_hash;
      await codesRepo.recordPhoneCodeAttempt(trx, row.id, ok);
      if (!ok) return row.attempts + 1 >= PHONE_CODE_MAX_TRIES ? ('code_expired' as const) : ('code_invalid' as const);
      const owner = await accountsRepo.findByPhone(trx, phone);
      if (owner && owner.id !== ctx.user.id) {
        if (owner.phone_verified_at) throw accountsError('phone_taken');
        await accountsRepo.updateUser(trx, owner.id, { phone: null });
      }
      await accountsRepo.updateUser(trx, ctx.user.id, { phone, phone_verified_at: new Date() });
      await this.deps.events.record(trx, { type: 'auth.phone_verified', actorId: ctx.user.id, userIds: [ctx.user.id], data: { phone }, context: ctx });
      return null;
    });
    if (outcome) throw accountsError(outcome);
  }
}
