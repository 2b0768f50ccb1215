import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../db/db.pool.js';
import { afterCommit, type Tx } from '../db/db.transaction.js';
import { Batcher } from '../batching/batching.batcher.js';
import { httpError } from './http.errors.js';
import { confirmAuth } from './http.auth.js';
import { idempotencyRepo, type IdempotencyClaim, type IdempotencyResponse } from './http.idempotency.repo.js';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const STALE_LOCK_SECONDS = 120;

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: IdempotencyClaim | null;
    /** Set while this request holds its key: stores the response with a transaction's COMMIT (see registerIdempotency). */
    idempotencyResponder: IdempotencyResponder | null;
  }
}

/** Stores a request's response (status and the payload its route will send) with the COMMIT of `trx`. */
export type IdempotencyResponder = (trx: Tx, status: number, payload: unknown) => Promise<void>;

/** What Fastify sends a serialized object as. */
const JSON_TYPE = 'application/json; charset=utf-8';

function requestHash(request: FastifyRequest): string {
  const body = request.body === undefined ? '' : JSON.stringify(request.body);
  return createHash('sha256').update(`${request.method} ${request.url}\n${body}`).digest('hex');
}

const BATCH = { maxBatch: 100, concurrency: 4 };
const id = (c: IdempotencyClaim) => `${c.scope}\n${c.key}`;

/**
 * Claims of concurrent requests in one statement. A key that appears twice in a batch is tried
 * once: its repeats are answered as not claimed, so they see the first one in flight.
 */
function claimBatcher(db: Database, ttlHours: number): Batcher<IdempotencyClaim & { hash: string }, boolean> {
  return new Batcher(async (items) => {
    const distinct = [...new Map(items.map((c) => [id(c), c])).values()];
    const claimed = new Set((await idempotencyRepo.claim(db, distinct, ttlHours, STALE_LOCK_SECONDS)).map(id));
    const seen = new Set<string>();
    return items.map((c) => {
      const first = !seen.has(id(c));
      seen.add(id(c));
      return first && claimed.has(id(c));
    });
  }, BATCH);
}

/**
 * Idempotency-Key with Stripe's semantics on routes that opt in (config.idempotent): the first
 * response is stored and replayed; a different body is 422; a duplicate while in flight is 409.
 * Runs after validation, so a rejected request stores nothing. Claims and stored responses of
 * concurrent requests are written together (one statement per batch). A response goes out while
 * it is being stored, not after (the store was a round trip on every answer's path): a repeat that
 * reaches this node meanwhile waits for the store; one on another node sees the key in flight
 * (409, retry later); a store that fails leaves the key in flight until STALE_LOCK_SECONDS, as a
 * crash between the action and the store always could (money moves exactly once through the
 * ledger's own request keys, which such a retry meets).
 * A service can do better on its own transaction (request.idempotencyResponder, handed to it as
 * RequestContext.respondOnCommit): the response it is about to answer is serialized as the route
 * will send it and written with that transaction's COMMIT, so the key is done exactly when the
 * action is, with no write of its own; if the transaction rolls back, the response goes to the
 * store as usual.
 */
export function registerIdempotency(app: FastifyInstance, db: Database, ttlHours: number): void {
  app.decorateRequest('idempotency', null);
  app.decorateRequest('idempotencyResponder', null);
  const claims = claimBatcher(db, ttlHours);
  const finished = new Batcher<IdempotencyResponse, void>(async (items) => {
    await idempotencyRepo.finish(db, items);
    return items.map(() => undefined);
  }, BATCH);
  /** Responses of this node on their way to the store, by scope and key. */
  const storing = new Map<string, Promise<void>>();
  app.addHook('onClose', async () => {
    await Promise.all(storing.values());
  });

  app.addHook('preHandler', async (request, reply) => {
    if (!request.routeOptions.config?.idempotent) return;
    const header = request.headers['idempotency-key'];
    if (header === undefined) return;
    const key = Array.isArray(header) ? header[0] : header;
    if (!KEY_PATTERN.test(key)) throw httpError('idempotency_key_invalid');
    const claim = { scope: request.user ? `user:${request.user.id}` : `ip:${request.ip}`, key };
    const hash = requestHash(request);
    // the claim goes out while the caller's session is checked; a dead session gives the key back
    const [claimed, auth] = await Promise.allSettled([claims.run({ ...claim, hash }), confirmAuth(request)]);
    if (auth.status === 'rejected') {
      if (claimed.status === 'fulfilled' && claimed.value) await idempotencyRepo.release(db, claim);
      throw auth.reason;
    }
    if (claimed.status === 'rejected') throw claimed.reason;
    if (claimed.value) {
      request.idempotency = claim;
      request.idempotencyResponder = async (trx, status, payload) => {
        const serialize = reply.getSerializationFunction(String(status)) as ((value: unknown) => string) | undefined;
        const body = serialize ? serialize(payload) : JSON.stringify(payload);
        await idempotencyRepo.finishWithCommit(trx, { ...claim, status, body, contentType: JSON_TYPE });
        afterCommit(trx, () => {
          if (request.idempotency === claim) request.idempotency = null;
        });
      };
      return;
    }
    await storing.get(id(claim));
    const existing = await idempotencyRepo.find(db, claim);
    if (!existing) throw httpError('idempotency_in_flight');
    if (existing.request_hash !== hash) throw httpError('idempotency_key_reused');
    if (existing.state === 'in_flight') throw httpError('idempotency_in_flight');
    reply
      .status(existing.response_status ?? 200)
      .header('idempotent-replayed', 'true')
      .type(existing.response_content_type ?? 'application/json');
    return reply.send(existing.response_body ?? '');
  });

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = null;
    const status = reply.statusCode;
    if (status >= 500) {
      await idempotencyRepo.release(db, claim);
      return payload;
    }
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
    const stored = finished
      .run({ ...claim, status, body, contentType: String(reply.getHeader('content-type') ?? 'application/json') })
      .catch((err: Error) => request.log.warn({ reason: String(err?.message ?? err).split('\n')[0] }, 'idempotent response not stored; its key stays in flight until it goes stale'))
      .finally(() => {
        if (storing.get(id(claim)) === stored) storing.delete(id(claim));
      });
    storing.set(id(claim), stored);
    return payload;
  });
}

/** Removes expired keys (run by the hourly platform job). */
export async function purgeExpiredIdempotencyKeys(db: Database): Promise<number> {
  return idempotencyRepo.purgeExpired(db);
}
