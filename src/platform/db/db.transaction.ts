import { sql, type Transaction } from 'kysely';
import { HOLD_FOR_COMMIT, type Database } from './db.pool.js';
import type { DB } from './db.types.js';

export type Tx = Transaction<DB>;
export type Executor = Database | Tx;

type Callback = () => void | Promise<void>;

interface Buffer {
  items: unknown[];
  flush(trx: Tx, items: unknown[]): Promise<void>;
}

/** What an open transaction carries until it ends: after-commit work and rows to write just before commit. */
interface TxState {
  after: Callback[];
  buffers: Map<symbol, Buffer>;
  /** This process's clock when the transaction was opened: no later than the database's now() in it. */
  startedAt: number;
}
const states = new WeakMap<object, TxState>();
let savepointCounter = 0;

/** Where a savepoint began: a rollback to it forgets everything registered since. */
function markOf(state: TxState | undefined) {
  if (!state) return null;
  return { after: state.after.length, buffers: new Map([...state.buffers].map(([k, b]) => [k, b.items.length])) };
}

function rewind(state: TxState | undefined, mark: ReturnType<typeof markOf>): void {
  if (!state || !mark) return;
  state.after.splice(mark.after);
  for (const [key, buffer] of state.buffers) buffer.items.splice(mark.buffers.get(key) ?? 0);
}

/**
 * Runs fn inside a transaction. Called with a transaction already open, it nests as a
 * savepoint, so services can call each other and still commit or roll back as one.
 */
export async function withTransaction<T>(db: Executor, fn: (trx: Tx) => Promise<T>): Promise<T> {
  if (db.isTransaction) {
    const trx = db as Tx;
    const name = sql.id(`sp_${++savepointCounter}`);
    const state = states.get(trx);
    const mark = markOf(state);
    await sql`savepoint ${name}`.execute(trx);
    try {
      const result = await fn(trx);
      await sql`release savepoint ${name}`.execute(trx);
      return result;
    } catch (err) {
      await sql`rollback to savepoint ${name}`.execute(trx);
      // work registered inside the rolled-back savepoint must not run or be written
      rewind(state, mark);
      throw err;
    }
  }
  const startedAt = Date.now();
  let state: TxState = { after: [], buffers: new Map(), startedAt };
  const result = await (db as Database).transaction().execute(async (trx) => {
    state = { after: [], buffers: new Map(), startedAt };
    states.set(trx, state);
    const value = await fn(trx);
    // the buffered rows travel with the COMMIT (one round trip for both); a failing write fails the commit
    if ([...state.buffers.values()].some((b) => b.items.length)) await sql.raw(HOLD_FOR_COMMIT).execute(trx);
    for (const buffer of state.buffers.values()) {
      if (buffer.items.length) await buffer.flush(trx, buffer.items.splice(0));
    }
    return value;
  });
  for (const hook of state.after) {
    try {
      await hook();
    } catch {
      // after-commit work is best effort; durable side effects go through the outbox
    }
  }
  return result;
}

/** When (Date.now()) the outermost transaction was opened, for one opened by withTransaction. */
export function transactionStartedAt(db: Executor): number | undefined {
  return db.isTransaction ? states.get(db)?.startedAt : undefined;
}

/** Registers work to run once the outermost transaction commits; runs now when not in one. */
export function afterCommit(db: Executor, fn: Callback): void {
  const state = db.isTransaction ? states.get(db) : undefined;
  if (state) state.after.push(fn);
  else void Promise.resolve().then(fn).catch(() => undefined);
}

/**
 * Collects rows on an open transaction and writes them with one `flush` just before it commits
 * (rows added inside a rolled-back savepoint are dropped). The flush's statements are held and sent
 * with the COMMIT, so their results are empty: a flush only writes. Answers false when `db` is not a
 * transaction opened by withTransaction: the caller then writes the row itself.
 */
export function bufferUntilCommit<T>(db: Executor, key: symbol, item: T, flush: (trx: Tx, items: T[]) => Promise<void>): boolean {
  const state = db.isTransaction ? states.get(db) : undefined;
  if (!state) return false;
  let buffer = state.buffers.get(key);
  if (!buffer) state.buffers.set(key, (buffer = { items: [], flush: flush as Buffer['flush'] }));
  buffer.items.push(item);
  return true;
}
