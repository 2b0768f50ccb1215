/**
 * Natural batching: a call runs at once when a slot is free; calls that arrive while every slot is
 * busy wait and then run together as one batch (up to maxBatch). At low load each call is its own
 * batch (no added latency); under load batches grow, so per-batch costs (a transaction, a commit,
 * round trips) are shared by many callers.
 */
export class Batcher<I, O> {
  private readonly waiting: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  private running = 0;

  constructor(
    /** Answers one result or Error per item, in order; a throw fails the whole batch. */
    private readonly runBatch: (items: I[]) => Promise<Array<O | Error>>,
    private readonly opts: { maxBatch: number; concurrency: number },
  ) {}

  /** Queues one item; resolves with its result, rejects with its Error (or the batch's). */
  run(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.running >= this.opts.concurrency || !this.waiting.length) return;
    const batch = this.waiting.splice(0, this.opts.maxBatch);
    this.running++;
    this.runBatch(batch.map((b) => b.item))
      .then(
        (results) => batch.forEach((b, i) => (results[i] instanceof Error ? b.reject(results[i]) : b.resolve(results[i] as O))),
        (err: unknown) => batch.forEach((b) => b.reject(err)),
      )
      .finally(() => {
        this.running--;
        this.next();
      });
  }
}
