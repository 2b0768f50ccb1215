/**
 * Whether a failed attempt is over: the server answered and refused it (a 4xx other than 409
 * idempotency_in_flight), so sending the form again is a new attempt and needs a new Idempotency-Key —
 * the old key may hold that refusal, and the server would answer it again. A network error, a 5xx (the
 * server keeps nothing under the key) or a repeat of a request still in flight leave the outcome open:
 * the payment may have gone through, so the next send repeats the attempt under its key, which the
 * server answers once and never pays twice.
 */
export function attemptRefused(error: unknown): boolean {
  const e = error as { status?: unknown; code?: unknown } | null | undefined;
  const status = typeof e?.status === 'number' ? e.status : 0;
  return status >= 400 && status < 500 && e?.code !== 'idempotency_in_flight';
}

/**
 * The Idempotency-Key of each attempt at one money action (a payment, a payment request, a basename).
 * A send gets the key of the attempt under way while it sends the same thing and that attempt's outcome
 * is open (an automatic retry, or the user's retry after a network error); a success or a refusal ends
 * the attempt, and the next send is a new attempt with a new key. A fixed key (`fund-<id>`) made a
 * refused payment's answer come back for every later click.
 */
export class AttemptKeys {
  private current: { payload: string; key: string } | null = null;

  constructor(private readonly newKey: () => string) {}

  /** The key to send `payload` under: the open attempt's when it sends the same thing, else a new one. */
  keyFor(payload: unknown): string {
    const p = JSON.stringify(payload) ?? '';
    if (!this.current || this.current.payload !== p) this.current = { payload: p, key: this.newKey() };
    return this.current.key;
  }

  /** How the attempt ended: no error (a success) or a refusal closes it; an open outcome keeps its key. */
  done(error?: unknown): void {
    if (error === undefined || attemptRefused(error)) this.current = null;
  }
}
