import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../db/db.pool.js';
import { Batcher } from '../batching/batching.batcher.js';
import { AppError, httpError } from './http.errors.js';
import { confirmAuth } from './http.auth.js';
import { idempotencyRepo, type IdempotencyClaim, type IdempotencyResponse } from './http.idempotency.repo.js';
import { STALE_LOCK_SECONDS, claimId, commitResponder, keysWithCommit, sendStored, storedAnswer, type IdempotencyResponder } from './http.idempotencyWithCommit.js';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

declare module 'fastify' {
  interface FastifyRequest {
    /** The key this request holds (claimed, or to be written with its action: see 'withCommit'), until its response is stored. */
    idempotency: IdempotencyClaim | null;
    /** Set while this request holds its key: stores the response with a transaction's COMMIT (see registerIdempotency). */
    idempotencyResponder: IdempotencyResponder | null;
  }
}

export type { IdempotencyResponder };

function requestHash(request: FastifyRequest): string {
  const body = request.body === undefined ? '' : JSON.stringify(request.body);
  return createHash('sha256').update(`${request.method} ${request.url}\n${body}`).digest('hex');
}

const BATCH = { maxBatch: 100, concurrency: 4 };

/**
 * Claims of concurrent requests in one statement. A key that appears twice in a batch is tried
 * once: its repeats are answered as not claimed, so they see the first one in flight.
 */
function claimBatcher(db: Database, ttlHours: number): Batcher<IdempotencyClaim & { hash: string }, boolean> {
  return new Batcher(async (items) => {
    const distinct = [...new Map(items.map((c) => [claimId(c), c])).values()];
    const claimed = new Set((await idempotencyRepo.claim(db, distinct, ttlHours, STALE_LOCK_SECONDS)).map(claimId));
    const seen = new Set<string>();
    return items.map((c) => {
      const first = !seen.has(claimId(c));
      seen.add(claimId(c));
      return first && claimed.has(claimId(c));
    });
  }, BATCH);
}

/**
 * Idempotency-Key on routes that opt in (config.idempotent): the first successful response is
 * stored and replayed; a different body is 422; a duplicate while in flight is 409. A refusal (4xx)
 * or a server error changed nothing and is not stored: the key stays free, so the same request runs
 * again once its cause is gone (a wallet topped up), instead of replaying a stale refusal for a day. Claims and stored responses of
 * concurrent requests are written together (one statement per batch). A response goes out while
 * it is being stored, not after (the store was a round trip on every answer's path): a repeat that
 * reaches this node meanwhile waits for the store; one on another node sees the key in flight
 * (409, retry later); a store that fails leaves the key in flight until STALE_LOCK_SECONDS, as a
 * crash between the action and the store always could (money moves exactly once through the
 * ledger's own request keys, which such a retry meets).
 * A service can do better on its own transaction (request.idempotencyResponder, handed to it as
 * RequestContext.respondOnCommit): the response it is about to answer is serialized as the route
 * will send it and written with that transaction's COMMIT, so the key is done exactly when the
 * action is, with no write of its own; if the transaction rolls back, nothing is stored. A route
 * whose every effect goes through such a COMMIT can skip the claim too (config.idempotent
 * 'withCommit', see keysWithCommit): its key is written only with the action.
 */
export function registerIdempotency(app: FastifyInstance, db: Database, ttlHours: number): void {
  app.decorateRequest('idempotency', null);
  app.decorateRequest('idempotencyResponder', null);
  app.decorateRequest('idempotencyWithCommit', null);
  const claims = claimBatcher(db, ttlHours);
  const withCommit = keysWithCommit(db, ttlHours);
  const finished = new Batcher<IdempotencyResponse, void>(async (items) => {
    await idempotencyRepo.finish(db, items);
    return items.map(() => undefined);
  }, BATCH);
  /** Responses of this node on their way to the store, by scope and key. */
  const storing = new Map<string, Promise<void>>();
  const track = (claim: IdempotencyClaim, stored: Promise<void>) => {
    storing.set(claimId(claim), stored);
    void stored.finally(() => storing.get(claimId(claim)) === stored && storing.delete(claimId(claim)));
  };
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
    if (request.routeOptions.config.idempotent === 'withCommit') {
      await confirmAuth(request);
      return withCommit.begin(request, reply, claim, hash, () => storing.get(claimId(claim)));
    }
    // the claim goes out while the caller's session is checked; a dead session gives the key back
    const [claimed, auth] = await Promise.allSettled([claims.run({ ...claim, hash }), confirmAuth(request)]);
    if (auth.status === 'rejected') {
      if (claimed.status === 'fulfilled' && claimed.value) await idempotencyRepo.release(db, claim);
      throw auth.reason;
    }
    if (claimed.status === 'rejected') throw claimed.reason;
    if (claimed.value) {
      request.idempotency = claim;
      request.idempotencyResponder = commitResponder(request, reply, claim, (trx, response) => idempotencyRepo.finishWithCommit(trx, response));
      return;
    }
    await storing.get(claimId(claim));
    const answer = storedAnswer(await idempotencyRepo.find(db, claim), hash) ?? httpError('idempotency_in_flight');
    if (answer instanceof AppError) throw answer;
    return sendStored(reply, answer);
  });

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = null;
    if (request.idempotencyWithCommit) return withCommit.finish(request, reply, claim, payload, (stored) => track(claim, stored));
    const status = reply.statusCode;
    if (status >= 400) {
      await idempotencyRepo.release(db, claim);
      return payload;
    }
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
    track(
      claim,
      finished
        .run({ ...claim, status, body, contentType: String(reply.getHeader('content-type') ?? 'application/json') })
        .catch((err: Error) => request.log.warn({ reason: String(err?.message ?? err).split('\n')[0] }, 'idempotent response not stored; its key stays in flight until it goes stale')),
    );
    return payload;
  });

  app.addHook('onResponse', async (request) => withCommit.release(request));
}

/** Removes expired keys (run by the hourly platform job). */
export async function purgeExpiredIdempotencyKeys(db: Database): Promise<number> {
  return idempotencyRepo.purgeExpired(db);
}
