import type { Executor } from '../platform/db/db.transaction.js';
import type { ActorContext } from '../platform/http/http.context.js';
import { AppError } from '../platform/http/http.errors.js';
import { accountsError } from './accounts.errors.js';
import type { UserRow } from './accounts.repo.js';
import type { AccountsService } from './accounts.service.js';

/**
 * The second factor a sensitive change (email change, account deletion) asks for beside the password
 * when 2FA is on: a code from the authenticator app in body.totpCode (used once, as at sign-in).
 */
export async function requireTotpIfEnabled(accounts: AccountsService, trx: Executor, user: UserRow, totpCode: string | undefined): Promise<void> {
  if (!user.totp_enabled_at) return;
  if (!totpCode) throw accountsError('totp_code_required', {}, [{ field: 'body.totpCode', code: 'required', message: 'validation.required' }]);
  if (!(await accounts.checkSecondFactor(trx, user, { totpCode }))) {
    throw accountsError('totp_code_invalid', {}, [{ field: 'body.totpCode', code: 'wrong', message: 'validation.totp_wrong' }]);
  }
}

/** The answers that mean a wrong second factor: a step-up's totpCode, or the code that turns 2FA off. */
const WRONG_CODE = new Set(['totp_code_invalid', 'code_invalid']);

/**
 * Runs a change that asks for the second factor (requireTotpIfEnabled inside `work`, or turning 2FA off) under a throttle with
 * the sign-in policy's numbers, counted per account: while it is paused the change is 429 totp_code_throttled,
 * and a wrong code counts once `work`'s transaction has rolled back. Otherwise a stolen session with the
 * password could guess authenticator codes at every such route's rate limit, unseen by any throttle.
 */
export async function withSecondFactorThrottle<T>(accounts: AccountsService, user: UserRow, ctx: ActorContext, work: () => Promise<T>): Promise<T> {
  if (!user.totp_enabled_at) return work();
  await accounts.secondFactorPause(user);
  try {
    const done = await work();
    await accounts.clearSecondFactorFailures(user);
    return done;
  } catch (err) {
    if (err instanceof AppError && WRONG_CODE.has(err.code)) await accounts.recordSecondFactorFailure(user, ctx);
    throw err;
  }
}

/** An address as a notice to another mailbox may show it: the first character of the local part and the domain (m***@example.com). */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}
