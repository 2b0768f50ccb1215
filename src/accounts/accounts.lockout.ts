/**
 * The sign-in throttling policy (docs/accounts.md): failures are counted per account identifier
 * (the email or phone typed, existing or not) over a sliding 15-minute window. From the 5th failure
 * on, the next attempt must wait 30 s, doubling per further failure up to 15 min. Attempts made
 * while waiting are refused without checking the password and do not count, a success or a
 * password reset clears the count, and failures older than 15 minutes drop out, so a lock always expires.
 */
export const LOCKOUT_WINDOW_MS = 15 * 60_000;
export const LOCKOUT_THRESHOLD = 5;
export const LOCKOUT_BASE_DELAY_MS = 30_000;
export const LOCKOUT_MAX_DELAY_MS = 15 * 60_000;

/** The delay owed after `failures` counted failures (0 below the threshold). */
export function lockoutDelayMs(failures: number): number {
  if (failures < LOCKOUT_THRESHOLD) return 0;
  return Math.min(LOCKOUT_BASE_DELAY_MS * 2 ** (failures - LOCKOUT_THRESHOLD), LOCKOUT_MAX_DELAY_MS);
}

/** When the next attempt is allowed, or null when it is allowed now. */
export function lockedUntil(failures: number, lastFailureAt: Date | null, now = new Date()): Date | null {
  const delay = lockoutDelayMs(failures);
  if (!delay || !lastFailureAt) return null;
  const until = new Date(lastFailureAt.getTime() + delay);
  return until > now ? until : null;
}
