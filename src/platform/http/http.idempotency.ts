import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Database } from '../db/db.pool.js';
import { httpError } from './http.errors.js';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const STALE_LOCK_SECONDS = 120;

interface Claim {
  scope: string;
  key: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: Claim | null;
  }
}

function requestHash(request: FastifyRequest): string {
  const body = request.body === undefined ? '' : JSON.stringify(request.body);
  return createHash('sha256').update(`${request.method} ${request.url}\n${body}`).digest('hex');
}

/**
 * Idempotency-Key with Stripe's semantics on routes that opt in (config.idempotent): the first
 * response is stored and replayed; a different body is 422; a duplicate while in flight is 409.
 * Runs after validation, so a rejected request stores nothing.
 */
export function registerIdempotency(app: FastifyInstance, db: Database, ttlHours: number): void {
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (request, reply) => {
    if (!request.routeOptions.config?.idempotent) return;
    const header = request.headers['idempotency-key'];
    if (header === undefined) return;
    const key = Array.isArray(header) ? header[0] : header;
    if (!KEY_PATTERN.test(key)) throw httpError('idempotency_key_invalid');
    const scope = request.user ? `user:${request.user.id}` : `ip:${request.ip}`;
    const hash = requestHash(request);

    const inserted = await db
      .insertInto('idempotency_keys')
      .values({
        scope,
        key,
        request_hash: hash,
        state: 'in_flight',
        response_status: null,
        response_body: null,
        response_content_type: null,
        expires_at: sql<Date>`now() + make_interval(hours => ${ttlHours})`,
      })
      .onConflict((oc) =>
        oc.columns(['scope', 'key']).doUpdateSet({
          request_hash: hash,
          state: 'in_flight',
          locked_at: sql`now()`,
          expires_at: sql`now() + make_interval(hours => ${ttlHours})`,
        }).where((eb) =>
          eb.or([
            eb('idempotency_keys.expires_at', '<', sql<Date>`now()`),
            eb.and([
              eb('idempotency_keys.state', '=', 'in_flight'),
              eb('idempotency_keys.locked_at', '<', sql<Date>`now() - make_interval(secs => ${STALE_LOCK_SECONDS})`),
              eb('idempotency_keys.request_hash', '=', hash),
            ]),
          ]),
        ),
      )
      .returning('key')
      .executeTakeFirst();
    if (inserted) {
      request.idempotency = { scope, key };
      return;
    }
    const existing = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('scope', '=', scope)
      .where('key', '=', key)
      .executeTakeFirst();
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
      await db.deleteFrom('idempotency_keys').where('scope', '=', claim.scope).where('key', '=', claim.key).execute();
      return payload;
    }
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
    await db
      .updateTable('idempotency_keys')
      .set({
        state: 'done',
        response_status: status,
        response_body: body,
        response_content_type: String(reply.getHeader('content-type') ?? 'application/json'),
      })
      .where('scope', '=', claim.scope)
      .where('key', '=', claim.key)
      .execute();
    return payload;
  });
}

/** Removes expired keys (run by the hourly platform job). */
export async function purgeExpiredIdempotencyKeys(db: Database): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<', sql<Date>`now()`).executeTakeFirst();
  return Number(result.numDeletedRows);
}
