import { uuidv7 } from 'uuidv7';
import type { AppDeps } from '../platform/deps.js';
import { withTransaction } from '../platform/db/db.transaction.js';
import type { RequestContext } from '../platform/http/http.context.js';
import { normalizeRecoveryCode, recoveryCode, sha256, type SecretBox } from './accounts.crypto.js';
import { codesRepo } from './accounts.codes.repo.js';
import { withSecondFactorThrottle } from './accounts.stepup.js';
import { accountsError } from './accounts.errors.js';
import { accountsRepo } from './accounts.repo.js';
import { normalizeEmail } from './accounts.service.js';
import type { LiveSessions } from './accounts.liveness.js';
import type { AccountsService } from './accounts.service.js';
import { checkTotp, newTotpSecret } from './accounts.totp.js';

export const RECOVERY_CODE_COUNT = 10;

/** TOTP two-factor authentication: setup, enable (with recovery codes), disable. */
export class TwoFactorService {
  constructor(
    private readonly deps: AppDeps,
    private readonly totpBox: SecretBox,
    private readonly accounts: AccountsService,
    private readonly liveSessions: LiveSessions,
  ) {}

  /** Creates a new (not yet active) TOTP seed for the user's authenticator app; replaces an unconfirmed one. */
  async setup(ctx: RequestContext): Promise<{ secret: string; otpauthUrl: string; qrDataUrl: string }> {
    return withTransaction(this.deps.db, async (trx) => {
      const user = await accountsRepo.findByIdForUpdate(trx, ctx.user.id);
      if (!user) throw accountsError('user_not_found');
      if (user.totp_enabled_at) throw accountsError('totp_already_enabled');
      const created = await newTotpSecret(user.email);
      await accountsRepo.updateUser(trx, user.id, { totp_secret: this.totpBox.seal(created.secret), totp_last_step: null });
      return created;
    });
  }

  /**
   * Turns 2FA on once a code from the app matches the seed and the current password is given again
   * (a stolen access token alone must not lock the owner out); returns 10 one-time recovery codes (shown once).
   */
  async enable(ctx: RequestContext, input: { code: string; currentPassword: string }): Promise<{ recoveryCodes: string[] }> {
    await this.accounts.reauthenticate(ctx, input.currentPassword);
    const { code } = input;
    return withTransaction(this.deps.db, async (trx) => {
      const user = await accountsRepo.findByIdForUpdate(trx, ctx.user.id);
      if (!user) throw accountsError('user_not_found');
      if (user.totp_enabled_at) throw accountsError('totp_already_enabled');
      if (!user.totp_secret) throw accountsError('totp_not_set_up');
      const step = await checkTotp(this.totpBox.open(user.totp_secret), code, null);
      if (step === null) throw accountsError('code_invalid');
      await accountsRepo.updateUser(trx, user.id, { totp_enabled_at: new Date(), totp_last_step: step });
      this.liveSessions.forgetUserOnCommit(trx, user.id);
      const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => recoveryCode());
      await codesRepo.replaceRecoveryCodes(trx, user.id, codes.map((c) => ({ id: uuidv7(), code_hash: sha256(normalizeRecoveryCode(c)) })));
      await this.deps.events.record(trx, { type: 'auth.2fa_enabled', actorId: user.id, userIds: [user.id], data: {}, context: ctx });
      return { recoveryCodes: codes };
    });
  }

  /** Turns 2FA off with a current code or a recovery code; the seed and recovery codes are deleted. */
  async disable(ctx: RequestContext, input: { code?: string; recoveryCode?: string }): Promise<void> {
    const account = await accountsRepo.findById(this.deps.db, ctx.user.id);
    if (!account) throw accountsError('user_not_found');
    // wrong codes count as at every step-up: a stolen access token cannot guess its way to turning 2FA off
    await withSecondFactorThrottle(this.accounts, account, ctx, () => this.turnOff(ctx, input));
  }

  private async turnOff(ctx: RequestContext, input: { code?: string; recoveryCode?: string }): Promise<void> {
    const ok = await withTransaction(this.deps.db, async (trx) => {
      const user = await accountsRepo.findByIdForUpdate(trx, ctx.user.id);
      if (!user) throw accountsError('user_not_found');
      if (!user.totp_enabled_at) throw accountsError('totp_not_enabled');
      if (!(await this.accounts.checkSecondFactor(trx, user, { totpCode: input.code, recoveryCode: input.recoveryCode }))) return false;
      await accountsRepo.updateUser(trx, user.id, { totp_secret: null, totp_enabled_at: null, totp_last_step: null });
      this.liveSessions.forgetUserOnCommit(trx, user.id);
      await codesRepo.replaceRecoveryCodes(trx, user.id, []);
      await this.deps.events.record(trx, { type: 'auth.2fa_disabled', actorId: user.id, userIds: [user.id], data: {}, context: ctx });
      return true;
    });
    if (!ok) throw accountsError('code_invalid');
  }

  /**
   * Operator recovery for someone who lost both the authenticator and the recovery codes (`npm run
   * admin -- reset-2fa`): 2FA off without a code, every session signed out (a session that turned 2FA
   * on may be the one that locked the owner out), and the owner told like any 2FA change.
   */
  async resetByOperator(email: string): Promise<{ id: string; email: string }> {
    return withTransaction(this.deps.db, async (trx) => {
      const found = await accountsRepo.findByEmail(trx, normalizeEmail(email));
      const user = found && (await accountsRepo.findByIdForUpdate(trx, found.id));
      if (!user) throw accountsError('user_not_found');
      if (!user.totp_enabled_at) throw accountsError('totp_not_enabled');
      await accountsRepo.updateUser(trx, user.id, { totp_secret: null, totp_enabled_at: null, totp_last_step: null });
      await codesRepo.replaceRecoveryCodes(trx, user.id, []);
      const families = await accountsRepo.revokeUserSessions(trx, user.id, '2fa_reset');
      this.liveSessions.forgetUserOnCommit(trx, user.id);
      const context = { ip: null, userAgent: null };
      await this.deps.events.record(trx, { type: 'auth.2fa_disabled', actorId: null, userIds: [user.id], data: { by: 'operator' }, context });
      for (const sessionId of families) {
        await this.deps.events.record(trx, { type: 'auth.session_revoked', actorId: null, userIds: [user.id], data: { sessionId, reason: '2fa_reset' }, context });
      }
      return { id: user.id, email: user.email };
    });
  }

  /** How many recovery codes are left. */
  async remainingRecoveryCodes(userId: string): Promise<number> {
    return codesRepo.countUnusedRecoveryCodes(this.deps.db, userId);
  }
}
