import PgBoss from 'pg-boss';
import { CompiledQuery } from 'kysely';
import type { Logger } from 'pino';
import { afterCommit, bufferUntilCommit, transactionStartedAt, type Executor, type Tx } from '../db/db.transaction.js';
import { hideSecrets, shortErrorText, type HiddenValue } from '../observability/logger.js';

export interface JobDefinition<T extends object = Record<string, unknown>> {
  name: string;
  handler: (data: T, job: PgBoss.Job<T>) => Promise<void>;
  retryLimit?: number;
  retryDelaySeconds?: number;
  expireInSeconds?: number;
  /** Cron expression (UTC) when the job should also run on a schedule. */
  cron?: string;
  batchSize?: number;
  pollingIntervalSeconds?: number;
}

export interface EnqueueOptions {
  /** Enqueue on this transaction: the job exists only if the transaction commits. */
  trx?: Executor;
  startAfterSeconds?: number;
  singletonKey?: string;
  id?: string;
}

export const JOB_SCHEMA = 'pgboss';
/** Coalescing marks kept before the expired ones are swept. */
const MAX_COVERED = 10_000;

/** Jobs enqueued with enqueueMany on a transaction, written together with its COMMIT. */
const JOB_WRITES = Symbol('pg-boss job writes');

/** Something a worker node runs beside its job workers (see JobQueue.attach). */
export interface WorkerPart {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The job queue (pg-boss): domains register handlers; jobs can be enqueued on a caller's transaction. */
export class JobQueue {
  readonly boss: PgBoss;
  private readonly definitions = new Map<string, JobDefinition<any>>();
  private readonly workers = new Map<string, string[]>();
  private readonly parts: WorkerPart[] = [];
  /** Per queue and data: until when (Date.now()) a delayed job this node committed covers new ones. */
  private readonly covered = new Map<string, number>();
  private started = false;
  private working = false;

  constructor(
    connectionString: string,
    private readonly logger: Logger,
    private readonly hidden: readonly HiddenValue[] = [],
  ) {
    this.boss = new PgBoss({ connectionString, schema: JOB_SCHEMA, max: 4, application_name: 'streakpets-jobs' });
    this.boss.on('error', (err) => this.logger.error({ err }, 'job queue error'));
  }

  register<T extends object>(definition: JobDefinition<T>): void {
    if (this.definitions.has(definition.name)) throw new Error(`job ${definition.name} registered twice`);
    this.definitions.set(definition.name, definition);
  }

  /** Adds something that runs only while this node's workers do: started after them, stopped before them. */
  attach(part: WorkerPart): void {
    this.parts.push(part);
  }

  get names(): string[] {
    return [...this.definitions.keys()];
  }

  /** Starts pg-boss, creates the queues (each with a dead-letter queue) and, when work is true, the workers and schedules. */
  async start({ work }: { work: boolean }): Promise<void> {
    await this.boss.start();
    this.started = true;
    for (const def of this.definitions.values()) {
      const dead = `${def.name}.dead`;
      await this.ensureQueue(dead, { name: dead });
      await this.ensureQueue(def.name, {
        name: def.name,
        retryLimit: def.retryLimit ?? 5,
        retryDelay: def.retryDelaySeconds ?? 2,
        retryBackoff: true,
        expireInSeconds: def.expireInSeconds ?? 300,
        deadLetter: dead,
      });
    }
    if (!work) return;
    this.working = true;
    for (const def of this.definitions.values()) {
      const batchSize = def.batchSize ?? 1;
      let id = '';
      id = await this.boss.work<any>(
        def.name,
        { batchSize, pollingIntervalSeconds: def.pollingIntervalSeconds ?? 1 },
        async (jobs) => {
          // A full batch means more may be waiting: fetch again at once instead of after the polling interval.
          if (jobs.length >= batchSize && id) this.boss.notifyWorker(id);
          for (const job of jobs) {
            try {
              await def.handler(job.data, job);
            } catch (err) {
              this.logger.warn({ err, job: def.name, jobId: job.id }, 'job failed');
              throw this.storedFailure(err);
            }
          }
        },
      );
      this.workers.set(def.name, [id]);
      if (def.cron) await this.boss.schedule(def.name, def.cron, {}, { tz: 'UTC' });
    }
    for (const part of this.parts) await part.start();
  }

  /**
   * What pg-boss keeps as a failed job's output: one short line without the configured URLs. It
   * stores a thrown error's own fields too, and viem's carry the RPC URL and request body; the log
   * line above has the whole error.
   */
  private storedFailure(err: unknown): Error {
    const failure = new Error(hideSecrets(shortErrorText(err), this.hidden).slice(0, 500));
    failure.stack = `Error: ${failure.message}`;
    return failure;
  }

  /** Creates a queue once; nodes starting together can deadlock inside pg-boss, so that is retried. */
  private async ensureQueue(name: string, options: PgBoss.Queue): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (await this.boss.getQueue(name)) return;
      try {
        await this.boss.createQueue(name, options);
        return;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (attempt >= 5 || (code !== '40P01' && code !== '23505')) throw err;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
      }
    }
  }

  /** Enqueues a job; with opts.trx it is written on that transaction and wakes local workers after commit. */
  async enqueue(name: string, data: object, opts: EnqueueOptions = {}): Promise<string | null> {
    const options: PgBoss.SendOptions = { ...this.writeOn(name, opts.trx) };
    if (opts.startAfterSeconds) options.startAfter = opts.startAfterSeconds;
    if (opts.singletonKey) options.singletonKey = opts.singletonKey;
    if (opts.id) options.id = opts.id;
    const id = await this.boss.send(name, data, options);
    this.wakeAfter(name, opts);
    return id;
  }

  /**
   * Enqueues one job per data item with one statement (as enqueue, without singleton keys or ids).
   * With `coalesce` (delayed jobs only), a job whose data equals one this node committed during the
   * first half of that one's delay is not written: the waiting one, due at least half a delay later,
   * covers it. (The check is in memory, with no statement; pg-boss's singleton keys cost an INSERT
   * per call even when they drop the row, and that INSERT was the costliest statement per transfer.)
   * On a transaction opened by withTransaction, the jobs of every call are written in one statement
   * that travels with its COMMIT.
   */
  async enqueueMany(name: string, data: object[], opts: Pick<EnqueueOptions, 'trx' | 'startAfterSeconds'> & { coalesce?: boolean } = {}): Promise<void> {
    const delay = opts.startAfterSeconds;
    if (opts.coalesce && !delay) throw new Error('only delayed jobs can be coalesced');
    const { trx } = opts;
    const coalesced = opts.coalesce ? this.uncovered(name, data, delay!, trx) : null;
    if (coalesced) data = coalesced.data;
    if (!data.length) return;
    const jobs = data.map((d) => ({ name, data: d, startAfter: delay ? `${delay} seconds` : undefined }));
    const options = this.writeOn(name, trx);
    // all or none: whether a transaction buffers depends only on the transaction
    if (!trx || !jobs.every((job) => bufferUntilCommit(trx, JOB_WRITES, job, (t, all) => this.insertJobs(t, all)))) await this.boss.insert(jobs, options);
    if (coalesced) {
      if (trx) afterCommit(trx, coalesced.mark);
      else coalesced.mark();
    }
    this.wakeAfter(name, opts);
  }

  /**
   * The items no job of this node covers, marked covered once their jobs commit: until half a delay
   * after the transaction opened (the database dates start_after from its start, no earlier).
   */
  private uncovered(name: string, data: object[], delaySeconds: number, trx: Executor | undefined) {
    const now = Date.now();
    const keyed = new Map(data.map((d) => [`${name}\n${JSON.stringify(d)}`, d]));
    for (const key of keyed.keys()) if ((this.covered.get(key) ?? 0) > now) keyed.delete(key);
    // a transaction not opened by withTransaction has no known start: its jobs cover nothing
    const since = trx ? transactionStartedAt(trx) : now;
    const mark = () => {
      if (since === undefined) return;
      if (this.covered.size > MAX_COVERED) for (const [key, at] of this.covered) if (at <= Date.now()) this.covered.delete(key);
      for (const key of keyed.keys()) this.covered.set(key, since + (delaySeconds * 1000) / 2);
    };
    return { data: [...keyed.values()], mark };
  }

  /** Writes the buffered jobs of a transaction (of any queues, each checked when enqueued) in one pg-boss insert, at its COMMIT. */
  private async insertJobs(trx: Tx, jobs: Array<{ name: string }>): Promise<void> {
    await this.boss.insert(jobs, this.writeOn(jobs[0].name, trx));
  }

  /** pg-boss options that write a job on the caller's transaction, if any. */
  private writeOn(name: string, trx: Executor | undefined): PgBoss.ConnectionOptions {
    if (!this.definitions.has(name)) throw new Error(`unknown job ${name}`);
    if (!trx) return {};
    return {
      db: {
        executeSql: async (text, values) => {
          const result = await trx.executeQuery(CompiledQuery.raw(text, values));
          return { rows: result.rows as any[] };
        },
      },
    };
  }

  /** Wakes local workers for a job due now: after the caller's commit, or at once without a transaction. */
  private wakeAfter(name: string, opts: EnqueueOptions): void {
    if (opts.startAfterSeconds) return;
    if (opts.trx) afterCommit(opts.trx, () => this.wake(name));
    else this.wake(name);
  }

  private wake(name: string): void {
    for (const id of this.workers.get(name) ?? []) this.boss.notifyWorker(id);
  }

  /** Jobs waiting per queue, for /metrics. */
  async queueSizes(): Promise<Record<string, number>> {
    const sizes: Record<string, number> = {};
    if (!this.started) return sizes;
    for (const name of this.definitions.keys()) sizes[name] = await this.boss.getQueueSize(name);
    return sizes;
  }

  get isStarted(): boolean {
    return this.started;
  }

  get isWorking(): boolean {
    return this.working;
  }

  /** Stops taking jobs, lets running ones finish (up to timeoutMs), then closes the pool. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.started) return;
    if (this.working) for (const part of this.parts) await part.stop();
    this.started = false;
    this.working = false;
    await this.boss.stop({ graceful: true, timeout: timeoutMs, wait: true } as PgBoss.StopOptions);
  }
}
