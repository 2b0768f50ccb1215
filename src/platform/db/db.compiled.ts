import type { Compilable, CompiledQuery, RawBuilder } from 'kysely';
import type { Database } from './db.pool.js';
import type { Executor } from './db.transaction.js';

/** Stands in for the n-th argument while the query is built. */
class Arg {
  constructor(readonly index: number) {}
}

/**
 * A query whose shape never changes, built and compiled by Kysely once, then run with each call's
 * values (Kysely's recipe of splitting building from execution): on the hot paths, building and
 * compiling a query cost Node more CPU than PostgreSQL spends running it. `build` receives
 * stand-ins for its arguments; put each where one value goes (`= any(${ids}::uuid[])`, not an
 * `in` list, which Kysely would spell out value by value).
 */
export function compiledOnce<A extends unknown[], R>(build: (db: Database, ...args: A) => Compilable<R> | RawBuilder<R>): (ex: Executor, ...args: A) => Promise<R[]> {
  let template: CompiledQuery<R> | null = null;
  return async (ex, ...args) => {
    // a query builder compiles by itself, an sql`` template with the executor it is given
    template ??= (build(ex as Database, ...(Array.from({ length: build.length - 1 }, (_, i) => new Arg(i)) as A)) as RawBuilder<R>).compile(ex);
    const parameters = template.parameters.map((p) => (p instanceof Arg ? args[p.index] : p));
    const result = await ex.executeQuery<R>({ ...template, parameters });
    return result.rows;
  };
}
