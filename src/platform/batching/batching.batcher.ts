/**
 * Natural batching: a call runs at once when a slot is free; calls that arrive while every slot is
 * busy wait and then run together as one batch (up to maxBatch). At low load each call is its own
 * batch (no added latency); under load batches grow, so per-batch costs (a transaction, a commit,
 * round trips) are shared by many callers.
 *
 * With `keysOf`, batches in flight never share a key (a user, a wallet: whatever the batch locks in
 * the database): a call whose key a running batch holds waits for the next batch, in its order, and
 * joins the other calls of that key there. Concurrent batches then never queue on each other's row
 * locks, and the calls of one key share a transaction instead of taking turns at its lock.
 */
export class Batcher<I, O> {
  private readonly waiting: Array<{ item: I; keys: string[]; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  private readonly held = new Set<string>();
  private running = 0;

  constructor(
    /** Answers one result or Error per item, in order; a throw fails the whole batch. */
    private readonly runBatch: (items: I[]) => Promise<Array<O | Error>>,
    private readonly opts: { maxBatch: number; concurrency: number; keysOf?: (item: I) => string[] },
  ) {}

  /** Queues one item; resolves with its result, rejects with its Error (or the batch's). */
  run(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, keys: this.opts.keysOf?.(item) ?? [], resolve, reject });
      this.next();
    });
  }

  /** The waiting calls the next batch takes: in order, up to maxBatch, none whose key a running batch holds. */
  private take(): typeof this.waiting {
    if (!this.opts.keysOf) return this.waiting.splice(0, this.opts.maxBatch);
    const batch: typeof this.waiting = [];
    // keys of the calls left waiting: a later call of one of them must not overtake them
    const passed = new Set<string>();
    for (let i = 0; i < this.waiting.length && batch.length < this.opts.maxBatch; ) {
      const { keys } = this.waiting[i];
      if (keys.some((k) => this.held.has(k) || passed.has(k))) {
        for (const k of keys) passed.add(k);
        i++;
        continue;
      }
      batch.push(...this.waiting.splice(i, 1));
    }
    return batch;
  }

  private next(): void {
    while (this.running < this.opts.concurrency && this.waiting.length) {
      const batch = this.take();
      if (!batch.length) return;
      const keys = [...new Set(batch.flatMap((b) => b.keys))];
      for (const k of keys) this.held.add(k);
      this.running++;
      this.runBatch(batch.map((b) => b.item))
        .then(
          (results) => batch.forEach((b, i) => (results[i] instanceof Error ? b.reject(results[i]) : b.resolve(results[i] as O))),
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          for (const k of keys) this.held.delete(k);
          this.running--;
          this.next();
        });
    }
  }
}
