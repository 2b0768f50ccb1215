import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../db/db.pool.js';
import { afterCommit, type Tx } from '../db/db.transaction.js';
import { AppError, httpError, problemBody } from './http.errors.js';
import { idempotencyRepo, type IdempotencyClaim, type IdempotencyResponse } from './http.idempotency.repo.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on a 'withCommit' route while this request holds its key on this node. */
    idempotencyWithCommit: { hash: string; release: () => void } | null;
  }
}

/** What Fastify sends a serialized object as. */
const JSON_TYPE = 'application/json; charset=utf-8';
/** A key left in flight this long by the same request (its node crashed) is taken over by a retry. */
export const STALE_LOCK_SECONDS = 120;

export const claimId = (c: IdempotencyClaim) => `${c.scope}\n${c.key}`;

/** A stored response to replay. */
export interface StoredResponse {
  status: number;
  contentType: string;
  body: string;
}

type StoredRow = Awaited<ReturnType<typeof idempotencyRepo.find>>;

/**
 * What a key's stored row answers a request with that hash: its response (a replay), the problem
 * why not (another body under the key, or still in flight), or undefined when the key is free (no
 * row, an expired one, or one this request left in flight past STALE_LOCK_SECONDS).
 */
export function storedAnswer(row: StoredRow, hash: string): StoredResponse | AppError | undefined {
  if (!row || row.expires_at.getTime() <= Date.now()) return undefined;
  if (row.request_hash !== hash) return httpError('idempotency_key_reused');
  if (row.state === 'in_flight') return row.locked_at.getTime() < Date.now() - STALE_LOCK_SECONDS * 1000 ? undefined : httpError('idempotency_in_flight');
  return { status: row.response_status ?? 200, contentType: row.response_content_type ?? 'application/json', body: row.response_body ?? '' };
}

/** Sends a stored response (a replay) from a preHandler. */
export function sendStored(reply: FastifyReply, answer: StoredResponse): FastifyReply {
  return reply.status(answer.status).header('idempotent-replayed', 'true').type(answer.contentType).send(answer.body);
}

/** Stores a request's response (status and the payload its route will send) with the COMMIT of `trx`. */
export type IdempotencyResponder = (trx: Tx, status: number, payload: unknown) => Promise<void>;

/**
 * The responder of a request holding `claim`: the payload is serialized as the route will send it
 * and handed to `write` on the service's transaction; once that commits, the response is stored
 * and onSend has nothing left to store.
 */
export function commitResponder(request: FastifyRequest, reply: FastifyReply, claim: IdempotencyClaim, write: (trx: Tx, response: IdempotencyResponse) => Promise<unknown>): IdempotencyResponder {
  return async (trx, status, payload) => {
    const serialize = reply.getSerializationFunction(String(status)) as ((value: unknown) => string) | undefined;
    const body = serialize ? serialize(payload) : JSON.stringify(payload);
    await write(trx, { ...claim, status, body, contentType: JSON_TYPE });
    afterCommit(trx, () => {
      if (request.idempotency === claim) request.idempotency = null;
    });
  };
}

/** Makes the response about to be sent (in onSend) the stored one, or the problem answered instead. */
function replaceResponse(request: FastifyRequest, reply: FastifyReply, answer: StoredResponse | AppError): string {
  if (answer instanceof AppError) {
    reply.code(answer.status).header('content-type', 'application/problem+json; charset=utf-8');
    return JSON.stringify(problemBody(request, answer));
  }
  reply.code(answer.status).header('idempotent-replayed', 'true').header('content-type', answer.contentType);
  return answer.body;
}

/**
 * Idempotency-Keys written with the action (config.idempotent 'withCommit'): nothing is claimed
 * before the handler, so the key costs the request no round trip of its own. The service hands its
 * answer to RequestContext.respondOnCommit, which writes the key, done, with the action's COMMIT;
 * a key another request took first breaks the key's primary key there, and the action rolls back
 * with it. A repeat on this node waits for the first and is answered from the store; a repeat on
 * another node runs until that COMMIT and is then answered from the store the same way. An answer
 * sent without such a COMMIT (a refusal) is checked against the store before it goes out and then
 * stored itself, unless the key was taken meanwhile.
 */
export function keysWithCommit(db: Database, ttlHours: number) {
  /** Requests of this node holding a key, by scope and key. */
  const running = new Map<string, Promise<void>>();
  return {
    /**
     * The preHandler's part: a repeat of a request running on this node waits for it, then replays
     * what it stored; otherwise this request holds the key and gets its responder. `stored` waits
     * for a response of this node still being written.
     */
    async begin(request: FastifyRequest, reply: FastifyReply, claim: IdempotencyClaim, hash: string, stored: () => Promise<void> | undefined) {
      const name = claimId(claim);
      while (running.has(name)) {
        await running.get(name);
        await stored();
        const answer = storedAnswer(await idempotencyRepo.find(db, claim), hash);
        if (answer instanceof AppError) throw answer;
        if (answer) return sendStored(reply, answer);
      }
      let done!: () => void;
      const holding = new Promise<void>((resolve) => (done = resolve));
      running.set(name, holding);
      request.idempotency = claim;
      request.idempotencyWithCommit = {
        hash,
        release: () => {
          if (running.get(name) === holding) running.delete(name);
          done();
        },
      };
      request.idempotencyResponder = commitResponder(request, reply, claim, async (trx, response) => {
        if (!idempotencyRepo.insertWithCommit(trx, { ...response, hash }, ttlHours, STALE_LOCK_SECONDS)) {
          await idempotencyRepo.insert(trx, [{ ...response, hash }], ttlHours, STALE_LOCK_SECONDS, false);
        }
      });
    },

    /**
     * The onSend part, for an answer no COMMIT stored: the stored answer of a request that took the
     * key first goes out instead; else a success is stored (a refusal or a server error changed
     * nothing, so a retry runs again).
     */
    async finish(request: FastifyRequest, reply: FastifyReply, claim: IdempotencyClaim, payload: unknown, track: (stored: Promise<void>) => void) {
      const hash = request.idempotencyWithCommit!.hash;
      const earlier = storedAnswer(await idempotencyRepo.find(db, claim), hash);
      if (earlier) return replaceResponse(request, reply, earlier);
      if (reply.statusCode >= 400) return payload;
      const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
      const contentType = String(reply.getHeader('content-type') ?? 'application/json');
      track(
        idempotencyRepo
          .insert(db, [{ ...claim, hash, status: reply.statusCode, body, contentType }], ttlHours, STALE_LOCK_SECONDS, true)
          .catch((err: Error) => request.log.warn({ reason: String(err?.message ?? err).split('\n')[0] }, 'idempotent response not stored')),
      );
      return payload;
    },

    /** onResponse: the request no longer holds its key on this node. */
    release(request: FastifyRequest) {
      request.idempotencyWithCommit?.release();
    },
  };
}
