/** How often the Requests list is drawn again while it is open, so "expires in …" moves on. */
export const REQUESTS_TICK_MS = 15_000;

interface IntentTime {
  status: string;
  expiresAt: string | null;
}

/**
 * A payment request's status as of `now`: an open one ('created') whose expiresAt has passed is
 * 'expired', before the server's expiry job (or the next list) says so — it can no longer be paid.
 */
export function statusAt(intent: IntentTime, now: number): string {
  if (intent.status !== 'created' || !intent.expiresAt) return intent.status;
  const at = Date.parse(intent.expiresAt);
  return !Number.isNaN(at) && at <= now ? 'expired' : intent.status;
}

/** Milliseconds from `now` to the next open request's expiry, when one falls before the next tick (else null). */
export function nextExpiryIn(intents: readonly IntentTime[], now: number, tickMs = REQUESTS_TICK_MS): number | null {
  let soonest: number | null = null;
  for (const i of intents) {
    if (statusAt(i, now) !== 'created' || !i.expiresAt) continue;
    const wait = Date.parse(i.expiresAt) - now;
    if (wait < tickMs && (soonest === null || wait < soonest)) soonest = wait;
  }
  return soonest;
}
