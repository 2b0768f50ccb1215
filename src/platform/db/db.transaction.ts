import { sql, type Transaction } from 'kysely';
import type { Database } from './db.pool.js';
import type { DB } from './db.types.js';

export type Tx = Transaction<DB>;
export type Executor = Database | Tx;

type Callback = () => void | Promise<void>;
const afterCommitHooks = new WeakMap<object, Callback[]>();
let savepointCounter = 0;

/**
 * Runs fn inside a transaction. Called with a transaction already open, it nests as a
 * savepoint, so services can call each other and still commit or roll back as one.
 */
export async function withTransaction<T>(db: Executor, fn: (trx: Tx) => Promise<T>): Promise<T> {
  if (db.isTransaction) {
    const trx = db as Tx;
    const name = sql.id(`sp_${++savepointCounter}`);
    const hooks = afterCommitHooks.get(trx);
    const mark = hooks?.length ?? 0;
    await sql`savepoint ${name}`.execute(trx);
    try {
      const result = await fn(trx);
      await sql`release savepoint ${name}`.execute(trx);
      return result;
    } catch (err) {
      await sql`rollback to savepoint ${name}`.execute(trx);
      // work registered inside the rolled-back savepoint must not run after commit
      hooks?.splice(mark);
      throw err;
    }
  }
  let hooks: Callback[] = [];
  const result = await (db as Database).transaction().execute(async (trx) => {
    hooks = [];
    afterCommitHooks.set(trx, hooks);
    return fn(trx);
  });
  for (const hook of hooks) {
    try {
      await hook();
    } catch {
      // after-commit work is best effort; durable side effects go through the outbox
    }
  }
  return result;
}

/** Registers work to run once the outermost transaction commits; runs now when not in one. */
export function afterCommit(db: Executor, fn: Callback): void {
  const hooks = db.isTransaction ? afterCommitHooks.get(db) : undefined;
  if (hooks) hooks.push(fn);
  else void Promise.resolve().then(fn).catch(() => undefined);
}
