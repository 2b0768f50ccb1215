import { sql } from 'kysely';
import type { Database } from '../db/db.pool.js';
import { bufferUntilCommit, type Tx } from '../db/db.transaction.js';

/** The transaction buffers of responses written with the COMMIT: to claimed keys, and as new keys. */
const RESPONSES = Symbol('idempotency responses');
const NEW_KEYS = Symbol('idempotency keys written with the action');

/** A key in its scope (the caller: a user or, unauthenticated, an IP). */
export interface IdempotencyClaim {
  scope: string;
  key: string;
}

/** The stored response of a finished request, replayed for a repeat. */
export interface IdempotencyResponse extends IdempotencyClaim {
  status: number;
  body: string;
  contentType: string;
}

/** A response stored as a new key, with the hash of the request it answers. */
export type NewIdempotencyResponse = IdempotencyResponse & { hash: string };

export const idempotencyRepo = {
  /**
   * Claims keys (distinct scope and key each) with one statement: a new key, an expired one, or one
   * left in flight longer than staleSeconds by the same request is taken; answers the claimed ones.
   * Every statement here that locks several keys' rows takes them in (scope, key) order: batches of
   * concurrent requests overlap when clients retry, and two batches locking in different orders
   * deadlocked (one of them failed, leaving its keys in flight).
   */
  async claim(db: Database, claims: Array<IdempotencyClaim & { hash: string }>, ttlHours: number, staleSeconds: number): Promise<IdempotencyClaim[]> {
    const result = await sql<IdempotencyClaim>`
      insert into idempotency_keys (scope, key, request_hash, state, expires_at)
      select v.scope, v.key, v.hash, 'in_flight', now() + make_interval(hours => ${ttlHours}::int)
      from unnest(${claims.map((c) => c.scope)}::text[], ${claims.map((c) => c.key)}::text[], ${claims.map((c) => c.hash)}::text[]) as v(scope, key, hash)
      order by v.scope, v.key
      on conflict (scope, key) do update
        set request_hash = excluded.request_hash, state = 'in_flight', locked_at = now(), expires_at = excluded.expires_at
        where idempotency_keys.expires_at < now()
          or (idempotency_keys.state = 'in_flight' and idempotency_keys.request_hash = excluded.request_hash
              and idempotency_keys.locked_at < now() - make_interval(secs => ${staleSeconds}::int))
      returning scope, key`.execute(db);
    return result.rows;
  },

  find(db: Database, c: IdempotencyClaim) {
    return db.selectFrom('idempotency_keys').selectAll().where('scope', '=', c.scope).where('key', '=', c.key).executeTakeFirst();
  },

  /** Stores the responses of finished requests with one statement (rows locked in key order, see claim). */
  async finish(db: Database | Tx, responses: IdempotencyResponse[]): Promise<void> {
    await sql`
      with v as materialized (
        select * from unnest(${responses.map((r) => r.scope)}::text[], ${responses.map((r) => r.key)}::text[], ${responses.map((r) => r.status)}::int[],
                             ${responses.map((r) => r.body)}::text[], ${responses.map((r) => r.contentType)}::text[]) as v(scope, key, status, body, content_type)
      ), locked as materialized (
        select k.scope, k.key from idempotency_keys k join v on k.scope = v.scope and k.key = v.key order by k.scope, k.key for update of k
      )
      update idempotency_keys k
      set state = 'done', response_status = v.status, response_body = v.body, response_content_type = v.content_type
      from locked l join v on v.scope = l.scope and v.key = l.key
      where k.scope = l.scope and k.key = l.key`.execute(db);
  },

  /** Stores a response with the COMMIT of `trx` (one statement for all of that transaction's), or at once outside withTransaction. */
  async finishWithCommit(trx: Tx, response: IdempotencyResponse): Promise<void> {
    if (!bufferUntilCommit(trx, RESPONSES, response, (t, items) => this.finish(t, items))) await this.finish(trx, [response]);
  },

  /**
   * Stores responses as new keys (state done) with the COMMIT of `trx`: a key that is already taken
   * (and not expired) breaks the primary key there, and the whole transaction rolls back with it.
   */
  insertWithCommit(trx: Tx, response: NewIdempotencyResponse, ttlHours: number, staleSeconds: number): boolean {
    return bufferUntilCommit(trx, NEW_KEYS, response, (t, items) => this.insert(t, items, ttlHours, staleSeconds, false));
  },

  /**
   * Stores responses as new keys with one statement, replacing keys of the same names that expired
   * or that the same request left in flight longer than staleSeconds (a crash). With `keepTaken`, a
   * key otherwise taken keeps what it holds; without, taking it is an error.
   */
  async insert(db: Database | Tx, responses: NewIdempotencyResponse[], ttlHours: number, staleSeconds: number, keepTaken: boolean): Promise<void> {
    const scopes = responses.map((r) => r.scope);
    const keys = responses.map((r) => r.key);
    const hashes = responses.map((r) => r.hash);
    await sql`
      with gone as materialized (
        select k.scope, k.key from idempotency_keys k
        join unnest(${scopes}::text[], ${keys}::text[], ${hashes}::text[]) as v(scope, key, hash) on k.scope = v.scope and k.key = v.key
        where k.expires_at < now() or (k.state = 'in_flight' and k.request_hash = v.hash and k.locked_at < now() - make_interval(secs => ${staleSeconds}::int))
        order by k.scope, k.key for update of k
      )
      delete from idempotency_keys k using gone g where k.scope = g.scope and k.key = g.key`.execute(db);
    await sql`
      insert into idempotency_keys (scope, key, request_hash, state, response_status, response_body, response_content_type, expires_at)
      select v.scope, v.key, v.hash, 'done', v.status, v.body, v.content_type, now() + make_interval(hours => ${ttlHours}::int)
      from unnest(${scopes}::text[], ${keys}::text[], ${hashes}::text[], ${responses.map((r) => r.status)}::int[],
                  ${responses.map((r) => r.body)}::text[], ${responses.map((r) => r.contentType)}::text[]) as v(scope, key, hash, status, body, content_type)
      order by v.scope, v.key
      ${keepTaken ? sql`on conflict (scope, key) do nothing` : sql``}`.execute(db);
  },

  /** Forgets a claim (the request failed on the server: a retry may run it again). */
  async release(db: Database, c: IdempotencyClaim): Promise<void> {
    await db.deleteFrom('idempotency_keys').where('scope', '=', c.scope).where('key', '=', c.key).execute();
  },

  async purgeExpired(db: Database): Promise<number> {
    const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<', sql<Date>`now()`).executeTakeFirst();
    return Number(result.numDeletedRows);
  },
};
