import { timingSafeEqual } from 'node:crypto';
import { uuidv7 } from 'uuidv7';
import type { AppDeps } from '../platform/deps.js';
import { withTransaction } from '../platform/db/db.transaction.js';
import type { RequestContext } from '../platform/http/http.context.js';
import { numericCode, sha256 } from './accounts.crypto.js';
import { codesRepo } from './accounts.codes.repo.js';
import { emailChangesRepo } from './accounts.email.repo.js';
import { accountsError } from './accounts.errors.js';
import type { LiveSessions } from './accounts.liveness.js';
import type { Messages } from './accounts.messages.js';
import { accountsRepo } from './accounts.repo.js';
import { normalizeEmail, type AccountsService } from './accounts.service.js';
import { maskEmail, requireTotpIfEnabled, withSecondFactorThrottle } from './accounts.stepup.js';
import { userView, type UserView } from './accounts.views.js';

export const EMAIL_CHANGE_TTL_MS = 15 * 60_000;
export const EMAIL_CHANGE_MAX_TRIES = 5;
export const EMAIL_CHANGES_PER_HOUR = 5;
/** Codes mailed to one address an hour, whoever asks: bounds the guesses at its codes and the mail it gets. */
export const EMAIL_CHANGES_PER_ADDRESS_HOUR = 5;

function codeHash(changeId: string, code: string): string {
  return sha256(`${changeId}:${code}`);
}

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

const emailTaken = () => accountsError('email_taken', {}, [{ field: 'body.newEmail', code: 'taken', message: 'validation.email_taken' }]);

/** Changing the signed-in user's email address: a code goes to the new address and the change happens when it comes back. */
export class EmailChangeService {
  constructor(
    private readonly deps: AppDeps,
    private readonly messages: Messages,
    private readonly accounts: AccountsService,
    private readonly liveSessions: LiveSessions,
  ) {}

  /**
   * Starts a change (current password, and a TOTP code when 2FA is on): mails a 6-digit code to the
   * new address (15 min, 5 tries; earlier codes stop working). An address another account holds is
   * 409 email_taken, as sign-up already answers. At most 5 requests a user an hour (429
   * email_change_quota) and 5 codes to one address an hour, whoever asks (429
   * email_change_address_quota). Nothing about the account changes yet. A wrong TOTP code counts
   * towards the sign-in throttle (429 login_throttled while paused).
   */
  async request(ctx: RequestContext, input: { newEmail: string; currentPassword: string; totpCode?: string }): Promise<{ expiresInSeconds: number }> {
    const newEmail = normalizeEmail(input.newEmail);
    const account = await this.accounts.reauthenticate(ctx, input.currentPassword);
    await withSecondFactorThrottle(this.accounts, account, ctx, () => this.start(ctx, newEmail, input.totpCode));
    return { expiresInSeconds: EMAIL_CHANGE_TTL_MS / 1000 };
  }

  private async start(ctx: RequestContext, newEmail: string, totpCode: string | undefined): Promise<void> {
    await withTransaction(this.deps.db, async (trx) => {
      const user = await accountsRepo.findByIdForUpdate(trx, ctx.user.id);
      if (!user) throw accountsError('user_not_found');
      await requireTotpIfEnabled(this.accounts, trx, user, totpCode);
      if (newEmail === normalizeEmail(user.email)) {
        throw accountsError('email_unchanged', {}, [{ field: 'body.newEmail', code: 'same', message: 'validation.email_same' }]);
      }
      if (await accountsRepo.findByEmail(trx, newEmail)) throw emailTaken();
      if ((await emailChangesRepo.countSince(trx, user.id, 3600)) >= EMAIL_CHANGES_PER_HOUR) {
        throw accountsError('email_change_quota', {}, [], { 'retry-after': '3600' });
      }
      // without this, many accounts could each guess 25 codes an hour at one address they do not own; under the
      // address's lock (taken after the user's, one address a transaction: no deadlock), or a burst all counts the same
      await emailChangesRepo.lockAddress(trx, newEmail);
      if ((await emailChangesRepo.countToAddressSince(trx, newEmail, 3600)) >= EMAIL_CHANGES_PER_ADDRESS_HOUR) {
        throw accountsError('email_change_address_quota', {}, [], { 'retry-after': '3600' });
      }
      await emailChangesRepo.retire(trx, user.id);
      const id = uuidv7();
      const code = numericCode(6);
      await emailChangesRepo.insert(trx, { id, user_id: user.id, new_email: newEmail, code_hash: codeHash(id, code), expires_at: new Date(Date.now() + EMAIL_CHANGE_TTL_MS), consumed_at: null });
      // no display name: the new address may be anyone's, and the name is whatever was typed at sign-up
      await this.messages.queue(trx, { channel: 'email', to: newEmail, template: 'email_change_code', locale: user.locale, params: { code, minutes: EMAIL_CHANGE_TTL_MS / 60_000 } });
    });
  }

  /**
   * Confirms a change with the mailed code: the new address becomes the (verified) sign-in address,
   * every other device is signed out, links mailed to the old address stop working, and the old
   * address is told. A wrong, expired or used code, or one asked for before the password last changed
   * (400 code_invalid / code_expired), changes nothing.
   */
  async confirm(ctx: RequestContext, code: string): Promise<UserView> {
    const outcome = await this.mapTaken(
      withTransaction(this.deps.db, async (trx) => {
        // the user first, then the change, in the order request() takes them (no deadlock between the two)
        const user = await accountsRepo.findByIdForUpdate(trx, ctx.user.id);
        if (!user) return 'user_not_found' as const;
        const row = await emailChangesRepo.latestForUpdate(trx, ctx.user.id);
        if (!row) return 'code_invalid' as const;
        if (row.expires_at <= new Date() || row.attempts >= EMAIL_CHANGE_MAX_TRIES) return 'code_expired' as const;
        // asked for under a password that has changed since: the new password ends what the old one started
        if (user.password_changed_at && user.password_changed_at > row.created_at) return 'code_expired' as const;
        const ok = sameHash(codeHash(row.id, code), row.code_hash);
        await emailChangesRepo.recordAttempt(trx, row.id, ok);
        if (!ok) return row.attempts + 1 >= EMAIL_CHANGE_MAX_TRIES ? ('code_expired' as const) : ('code_invalid' as const);
        if (await accountsRepo.findByEmail(trx, row.new_email)) return 'email_taken' as const;
        const from = user.email;
        const updated = await accountsRepo.updateUser(trx, user.id, { email: row.new_email, email_verified_at: new Date() });
        const current = ctx.user.sessionId ? await accountsRepo.findSession(trx, ctx.user.sessionId) : undefined;
        const families = await accountsRepo.revokeUserSessions(trx, user.id, 'email_change', current?.family_id ?? null);
        this.liveSessions.forgetUserOnCommit(trx, user.id);
        // a verification or reset link in the old mailbox must not act on the account any more
        await codesRepo.retireTokens(trx, user.id, 'verify_email');
        await codesRepo.retireTokens(trx, user.id, 'reset_password');
        await this.deps.events.record(trx, { type: 'auth.email_changed', actorId: user.id, userIds: [user.id], data: { from, to: row.new_email }, context: ctx });
        for (const sessionId of families) {
          await this.deps.events.record(trx, { type: 'auth.session_revoked', actorId: user.id, userIds: [user.id], data: { sessionId, reason: 'email_change' }, context: ctx });
        }
        await this.messages.queue(trx, { channel: 'email', to: from, template: 'email_changed', locale: user.locale, params: { email: maskEmail(row.new_email) } });
        return userView(updated);
      }),
    );
    if (outcome === 'email_taken') throw emailTaken();
    if (typeof outcome === 'string') throw accountsError(outcome);
    return outcome;
  }

  /** An address taken by a sign-up committing at the same moment answers email_taken, not a generic conflict. */
  private async mapTaken<T>(work: Promise<T>): Promise<T | 'email_taken'> {
    try {
      return await work;
    } catch (err) {
      if (accountsRepo.takenIdentifier(err) === 'email') return 'email_taken';
      throw err;
    }
  }
}
