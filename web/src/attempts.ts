/**
 * Whether a failed attempt is over: the server answered and refused it (a 4xx other than 409
 * idempotency_in_flight; a refusal changed nothing and is not kept under its key), so sending the form
 * again is a new attempt with a new Idempotency-Key. A network error, a 5xx (the
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
 * The attempts at one money action (a payment, a payment request, a basename, the faucet), one at a time,
 * each with its Idempotency-Key. A submit while an attempt is in flight is ignored: the button is disabled
 * from isPending, which reaches the screen only on the next render, so a double click or a second Enter
 * sent the form twice (two payment requests, two basename registrations, two "Payment sent" toasts).
 * An attempt's key is kept while it sends the same thing and its outcome is open (the user's retry after
 * a network error); a success or a refusal ends the attempt, and the next submit is a new attempt with a
 * new key. A fixed key (`fund-<id>`) made a refused payment's answer come back for every later click
 * while the server still kept refusals.
 */
export class AttemptKeys {
  private current: { payload: string; key: string } | null = null;
  private busy = false;

  constructor(private readonly newKey: () => string) {}

  /** Whether an attempt is in flight (its submits are ignored). */
  get inFlight(): boolean {
    return this.busy;
  }

  /**
   * Starts an attempt sending `payload`: its key (the open attempt's when it sends the same thing, else a
   * new one), or null while an attempt is in flight. Every started attempt must be ended with done().
   */
  begin(payload: unknown): string | null {
    if (this.busy) return null;
    this.busy = true;
    const p = JSON.stringify(payload) ?? '';
    if (!this.current || this.current.payload !== p) this.current = { payload: p, key: this.newKey() };
    return this.current.key;
  }

  /** How the attempt ended: no error (a success) or a refusal closes it; an open outcome keeps its key. */
  done(error?: unknown): void {
    this.busy = false;
    if (error === undefined || attemptRefused(error)) this.current = null;
  }

  /** Sends one attempt with `send(key)`, unless one is in flight (answers whether it sent). */
  run(payload: unknown, send: (key: string) => Promise<unknown>): boolean {
    const key = this.begin(payload);
    if (key === null) return false;
    new Promise((resolve) => resolve(send(key))).then(
      () => this.done(),
      (err: unknown) => this.done(err ?? new Error('failed')),
    );
    return true;
  }
}
