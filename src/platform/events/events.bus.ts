import { uuidv7 } from 'uuidv7';
import { sql, type Selectable, type SelectQueryBuilder } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/db.pool.js';
import type { DB } from '../db/db.types.js';
import type { ActorContext } from '../http/http.context.js';
import type { EventCatalog, EventType } from './events.catalog.js';
import { compiledOnce } from '../db/db.compiled.js';
import { afterCommit, bufferUntilCommit, withTransaction, type Executor, type Tx } from '../db/db.transaction.js';
import { shortErrorText } from '../observability/logger.js';

export interface DomainEvent<T = any> {
  id: string;
  type: string;
  actorId: string | null;
  userIds: string[];
  petId: string | null;
  data: T;
  /** Where the action came from (ip, user agent), for the activity log. */
  context: ActorContext;
  createdAt: Date;
}

export interface DomainEventInput<T = unknown> {
  type: string;
  actorId?: string | null;
  userIds?: string[];
  petId?: string | null;
  data?: T;
  context?: ActorContext;
}

export interface EventSubscriber {
  name: string;
  /** Event types this subscriber wants; '*' for all. */
  types: string[] | '*';
  /** Runs on the dispatcher's transaction; use afterCommit(trx, …) for work outside the database. */
  handle(event: DomainEvent, trx: Tx): Promise<void>;
  /**
   * Optional: handles a whole dispatch batch (the events this subscriber wants, in order) in one go,
   * e.g. one multi-row insert. When the batch fails, the dispatcher retries it event by event with handle().
   */
  handleBatch?(events: DomainEvent[], trx: Tx): Promise<void>;
}

const MAX_ATTEMPTS = 10;
/** The transaction buffer the outbox rows of one transaction collect in (written with one INSERT before commit). */
const OUTBOX = Symbol('outbox');
/**
 * Events per dispatch transaction: at low load a batch holds what is there (commit → emit stays
 * short); under load bigger batches share the transaction and the activity log's one insert.
 */
const BATCH = 100;
/**
 * A pass asked for by a commit starts this long after it, so the events of the commits arriving
 * meanwhile share its transaction and round trips (at a steady few hundred commits a second, each
 * commit got a pass of its own); under heavier load passes run back to back anyway.
 */
const LINGER_MS = 5;
/** Concurrent dispatch passes per process; rows are claimed with SKIP LOCKED, so they never overlap. */
const CONCURRENCY = 4;

function toEvent(row: {
  id: string; type: string; actor_id: string | null; user_ids: string[]; pet_id: string | null; data: unknown; context: unknown; created_at: Date;
}): DomainEvent {
  return {
    id: row.id,
    type: row.type,
    actorId: row.actor_id,
    userIds: row.user_ids,
    petId: row.pet_id,
    data: row.data as Record<string, unknown>,
    context: row.context as ActorContext,
    createdAt: row.created_at,
  };
}

const insertEvents = compiledOnce((_db, rows: string) => sql`insert into domain_events (id, type, actor_id, user_ids, pet_id, data, context, created_at)
  select id, type, actor_id, user_ids, pet_id, data, context, created_at
  from jsonb_populate_recordset(null::domain_events, ${rows}::jsonb)`);

/** Oldest undelivered events first, locked; rows another pass holds are skipped. */
function pending<O>(q: SelectQueryBuilder<DB, 'domain_events', O>) {
  return q.where('dispatched_at', 'is', null).where('attempts', '<', MAX_ATTEMPTS).orderBy('created_at').orderBy('id').limit(BATCH).forUpdate().skipLocked();
}

/** Claims the oldest undelivered events and marks them dispatched (committed only with the subscribers' work). */
const claimPending = compiledOnce((db, at: Date) =>
  db.updateTable('domain_events').set({ dispatched_at: at }).where('id', 'in', (eb) => pending(eb.selectFrom('domain_events').select('id'))).returningAll());

/**
 * Claims the given events if still undelivered, one primary-key probe per id. The state is checked
 * above the probe (LIMIT keeps it there): a `dispatched_at is null` inside would let the planner use
 * the partial pending index for `id = …`, which it does while the outbox still looks small, and that
 * plan, cached with the prepared statement, walks the whole pending index (dead entries too) per id.
 */
export const claimByIdsQuery = (at: unknown, ids: unknown) => sql<Selectable<DB['domain_events']>>`
  update domain_events set dispatched_at = ${at}
  where id in (
    select d.id from unnest(${ids}::uuid[]) as k(id)
    cross join lateral (
      select id, dispatched_at, attempts from domain_events where id = k.id limit 1 for update skip locked
    ) as d
    where d.dispatched_at is null and d.attempts < ${MAX_ATTEMPTS})
  returning *`;
const claimByIds = compiledOnce((_db, at: Date, ids: string[]) => claimByIdsQuery(at, ids));

/**
 * Ids of events committed by this process and not dispatched yet, handed to the dispatcher in memory
 * (beyond this many, the rest wait for the sweep). Claiming by id matters under load: a claim that
 * scans the pending index walks every entry left by events dispatched since the last vacuum, and
 * at a few thousand events a second that walk grew with every second of the run.
 */
const MAX_KNOWN = 10_000;

/** Dispatch order: creation time, then id. */
function byCreation(a: DomainEvent, b: DomainEvent): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** jsonb cannot hold U+0000; a NUL from a client (a user agent, a message) must not fail the action. */
function jsonWithoutNul(value: unknown): string {
  const json = JSON.stringify(value);
  // JSON writes a NUL as the escape \u0000: only then walk the value again to drop it
  return json.includes('\\u0000') ? JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? v.replaceAll('\u0000', '') : v)) : json;
}

/**
 * Transactional outbox: services record events on their own transaction; after commit the
 * dispatcher hands each event to its subscribers exactly once, resuming from the table after a crash.
 */
export class EventBus {
  private readonly subscribers: EventSubscriber[] = [];
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private lingering: NodeJS.Timeout | null = null;
  /** Events this process committed, to claim by id; the periodic sweep finds every other one. */
  private known: string[] = [];
  /** The next pass also scans the table (the poll, a drain, a failure). */
  private sweep = true;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
  ) {}

  subscribe(subscriber: EventSubscriber): void {
    this.subscribers.push(subscriber);
  }

  /** Writes an event on the caller's transaction; it is dispatched only if that transaction commits. */
  async record<K extends EventType>(trx: Executor, input: DomainEventInput<EventCatalog[K]> & { type: K }): Promise<DomainEvent<EventCatalog[K]>>;
  async record<T extends Record<string, unknown>>(trx: Executor, input: DomainEventInput<T>): Promise<DomainEvent<T>>;
  async record<T>(trx: Executor, input: DomainEventInput<T>): Promise<DomainEvent<T>> {
    const event: DomainEvent<T> = {
      id: uuidv7(),
      type: input.type,
      actorId: input.actorId ?? null,
      userIds: [...new Set(input.userIds ?? [])],
      petId: input.petId ?? null,
      data: (input.data ?? {}) as T,
      context: { ip: input.context?.ip ?? null, userAgent: input.context?.userAgent ?? null },
      createdAt: new Date(),
    };
    if (!bufferUntilCommit(trx, OUTBOX, event, (t, events) => this.insert(t, events))) await this.insert(trx, [event]);
    return event;
  }

  /** Writes events to the outbox in one statement and asks for a dispatch pass once they commit. */
  private async insert(trx: Executor, events: DomainEvent[]): Promise<void> {
    // one parameter (a JSON array) whatever the number of events: one statement text, little to encode
    const rows = events.map((e) => ({
      id: e.id, type: e.type, actor_id: e.actorId, user_ids: e.userIds, pet_id: e.petId, data: e.data, context: e.context, created_at: e.createdAt,
    }));
    await insertEvents(trx, jsonWithoutNul(rows));
    afterCommit(trx, () => {
      if (this.stopped) return;
      if (this.known.length + events.length <= MAX_KNOWN) this.known.push(...events.map((e) => e.id));
      this.kickSoon();
    });
  }

  /** Starts dispatching: right after each commit, and by polling for events left by a crash or another node. */
  start(pollMs = 1000): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kickSweep(), pollMs);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.lingering) clearTimeout(this.lingering);
    this.timer = null;
    this.lingering = null;
    await this.draining;
  }

  /** Asks for a dispatch pass; passes never overlap within a process. */
  kick(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    void this.pass();
  }

  /** Asks for a pass that also scans the table for events this process does not know of. */
  private kickSweep(): void {
    this.sweep = true;
    this.kick();
  }

  /** Asks for a pass LINGER_MS from now (after a commit), shared with the commits until then. */
  private kickSoon(): void {
    if (this.lingering || this.stopped) return;
    this.lingering = setTimeout(() => {
      this.lingering = null;
      this.kick();
    }, LINGER_MS);
  }

  /** Runs a pass as the process's only one; a kick meanwhile asks for another right after. */
  private pass(): Promise<void> {
    this.draining = this.drainLoop().finally(() => {
      this.draining = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
    return this.draining;
  }

  /** Dispatches everything pending now; resolves when nothing is left (tests and shutdown use it). */
  async drain(): Promise<void> {
    // the pass a commit asked for runs now instead, as this one (a second pass beside it could take the events this one waits for)
    if (this.lingering) clearTimeout(this.lingering);
    this.lingering = null;
    while (this.draining) await this.draining;
    this.sweep = true;
    await this.pass();
  }

  /** Deletes dispatched events older than the given number of days. */
  async purgeDispatched(days: number): Promise<number> {
    const result = await this.db
      .deleteFrom('domain_events')
      .where('dispatched_at', '<', sql<Date>`now() - make_interval(days => ${days})`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private async drainLoop(): Promise<void> {
    try {
      while (this.known.length) await this.dispatchKnown();
      if (!this.sweep) return;
      this.sweep = false;
      const pass = async () => {
        while ((await this.dispatchBatch()) === BATCH) {
          // a full batch means more may be waiting
        }
      };
      const first = await this.dispatchBatch();
      if (first === BATCH) await Promise.all(Array.from({ length: CONCURRENCY }, pass));
    } catch (err) {
      this.sweep = true;
      this.logger.error({ err }, 'event dispatch failed');
    }
  }

  /** Dispatches up to CONCURRENCY batches of the events this process committed, claimed by id. */
  private async dispatchKnown(): Promise<void> {
    const batches: string[][] = [];
    while (this.known.length && batches.length < CONCURRENCY) batches.push(this.known.splice(0, BATCH));
    await Promise.all(batches.map((ids) => this.dispatchBatch(ids)));
  }

  private wants(sub: EventSubscriber, event: DomainEvent): boolean {
    return sub.types === '*' || sub.types.includes(event.type);
  }

  /** The fast path: every subscriber handles the whole batch on the dispatcher's transaction. */
  private async handleAll(trx: Tx, events: DomainEvent[]): Promise<void> {
    for (const sub of this.subscribers) {
      const mine = events.filter((e) => this.wants(sub, e));
      if (!mine.length) continue;
      if (sub.handleBatch) await sub.handleBatch(mine, trx);
      else for (const event of mine) await sub.handle(event, trx);
    }
  }

  /** The careful path after a failed batch: each event in its own savepoint, so one bad event holds back only itself. */
  private async handleEach(trx: Tx, events: DomainEvent[]): Promise<string[]> {
    const done: string[] = [];
    for (const event of events) {
      try {
        await withTransaction(trx, async (sp) => {
          for (const sub of this.subscribers) if (this.wants(sub, event)) await sub.handle(event, sp);
        });
        done.push(event.id);
      } catch (err) {
        this.logger.error({ err, eventId: event.id, type: event.type }, 'event subscriber failed');
        await trx
          .updateTable('domain_events')
          .set({ attempts: sql`attempts + 1`, last_error: shortErrorText(err).slice(0, 500) })
          .where('id', '=', event.id)
          .execute();
      }
    }
    return done;
  }

  /**
   * Claims up to BATCH undelivered events and hands them to the subscribers. The whole batch is
   * tried on one transaction, claimed and marked dispatched by one statement (the mark commits only
   * with the subscribers' work); if anything fails, that transaction rolls back and the batch is
   * claimed again and delivered event by event, so one bad event holds back only itself.
   */
  private async dispatchBatch(ids?: string[]): Promise<number> {
    try {
      return await withTransaction(this.db, async (trx) => {
        const rows = ids ? await claimByIds(trx, new Date(), ids) : await claimPending(trx, new Date());
        if (rows.length) await this.handleAll(trx, rows.map(toEvent).sort(byCreation));
        return rows.length;
      });
    } catch {
      return this.dispatch((trx, events) => this.handleEach(trx, events), ids);
    }
  }

  private async dispatch(deliver: (trx: Tx, events: DomainEvent[]) => Promise<string[]>, ids?: string[]): Promise<number> {
    return withTransaction(this.db, async (trx) => {
      let query = pending(trx.selectFrom('domain_events').selectAll());
      if (ids) query = query.where('id', '=', sql<string>`any(${ids}::uuid[])`);
      const rows = await query.execute();
      if (!rows.length) return 0;
      const done = await deliver(trx, rows.map(toEvent));
      if (done.length) {
        await trx.updateTable('domain_events').set({ dispatched_at: new Date() }).where('id', 'in', done).execute();
      }
      return rows.length;
    });
  }
}
