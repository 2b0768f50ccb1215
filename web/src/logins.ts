/** Why the server refused a sign-in (the reason GET /me/logins records), each with a label. */
export const LOGIN_REASONS = ['bad_credentials', 'bad_totp', 'locked', 'disabled'] as const;
/** How a sign-in was completed (the method GET /me/logins records), each with a label. */
export const LOGIN_METHODS = ['password', 'totp', 'recovery_code', 'sign_up'] as const;

export interface LoginOutcome {
  tone: 'good' | 'info' | 'bad';
  /** The badge: signed in, password accepted with the code still to come, or failed. */
  label: 'settings.loginOk' | 'settings.loginCodeAsked' | 'settings.loginFailed';
  /** The method of a success or the reason of a failure, when the app has words for it. */
  detail: string | null;
}

/**
 * What a sign-in history entry reads as. The first step of a two-step sign-in is recorded as a failure
 * with reason totp_required, though the password was right: it is shown as such, not as a failure.
 */
export function loginOutcome(entry: { success: boolean; reason: string | null; method: string | null }): LoginOutcome {
  if (entry.success) {
    const method = LOGIN_METHODS.find((m) => m === entry.method);
    return { tone: 'good', label: 'settings.loginOk', detail: method ? `settings.loginMethod.${method}` : null };
  }
  if (entry.reason === 'totp_required') return { tone: 'info', label: 'settings.loginCodeAsked', detail: null };
  const reason = LOGIN_REASONS.find((r) => r === entry.reason);
  return { tone: 'bad', label: 'settings.loginFailed', detail: reason ? `settings.loginReason.${reason}` : null };
}
