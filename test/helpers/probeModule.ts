import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { withTransaction } from '../../src/platform/db/db.transaction.js';
import type { AppDeps } from '../../src/platform/deps.js';
import { requestContext } from '../../src/platform/http/http.context.js';
import { httpError } from '../../src/platform/http/http.errors.js';
import type { DomainModule } from '../../src/platform/modules.js';

/** Gates that a test opens to hold a request in flight. */
export const gates = new Map<string, Promise<void>>();
/** Gates a /probe/held request is waiting at. */
export const held = new Set<string>();

/**
 * A tiny module of probe routes that exercise the platform plumbing (validation, auth levels,
 * rate tiers, idempotency) exactly as a domain would use it.
 */
export const probeModule: DomainModule = {
  name: 'probe',
  routes(app: FastifyInstance, deps: AppDeps) {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/probe/echo',
      {
        config: { auth: 'none' },
        schema: {
          body: z.object({ name: z.string().min(1).max(20), amount: z.string().regex(/^\d+(\.\d{1,6})?$/), tags: z.array(z.string()).max(3).optional() }),
          response: { 200: z.object({ name: z.string(), amount: z.string() }) },
        },
      },
      async (request) => ({ name: request.body.name, amount: request.body.amount }),
    );
    r.get('/probe/me', { config: { auth: 'user' } }, async (request) => ({ id: requestContext(request).user.id }));
    r.get('/probe/chain', { config: { auth: 'none' } }, async () => ({ block: String(await deps.chain.publicClient.getBlockNumber({ cacheTime: 0 })) }));
    r.get('/probe/sleep', { config: { auth: 'none' }, schema: { querystring: z.object({ seconds: z.coerce.number().max(30) }) } }, async (request) => {
      await sql`select pg_sleep(${request.query.seconds})`.execute(deps.db);
      return { ok: true };
    });
    r.get('/probe/held', { config: { auth: 'none' }, schema: { querystring: z.object({ gate: z.string() }) } }, async (request) => {
      held.add(request.query.gate);
      await gates.get(request.query.gate);
      held.delete(request.query.gate);
      return { ok: true };
    });
    r.get('/probe/admin', { config: { auth: 'admin' } }, async () => ({ ok: true }));
    r.get('/probe/optional', { config: { auth: 'optional' } }, async (request) => ({ id: request.user?.id ?? null }));
    r.get('/probe/ip', { config: { auth: 'none' } }, async (request) => ({ ip: request.ip }));
    r.post('/probe/strict', { config: { auth: 'none', rateTier: 'strict' } }, async () => ({ ok: true }));
    r.get('/probe/lenient', { config: { auth: 'optional', rateTier: 'lenient' } }, async () => ({ ok: true }));
    r.post(
      '/probe/pay',
      {
        config: { auth: 'user', idempotent: true, rateTier: 'lenient' },
        schema: { body: z.object({ amount: z.string().regex(/^\d+$/), gate: z.string().optional() }) },
      },
      async (request, reply) => {
        const ctx = requestContext(request);
        if (request.body.gate) await gates.get(request.body.gate);
        const event = await withTransaction(deps.db, (trx) =>
          deps.events.record(trx, { type: 'probe.paid', actorId: ctx.user.id, userIds: [ctx.user.id], data: { amount: request.body.amount } }),
        );
        return reply.status(201).send({ id: event.id, amount: request.body.amount });
      },
    );
    // the answer is stored with the action's COMMIT (the key claimed first, or written only then);
    // the header tells what the key's row held right after it
    for (const [path, idempotent] of [['/probe/pay-atomic', true], ['/probe/pay-with-commit', 'withCommit']] as const) {
      r.post(
        path,
        {
          config: { auth: 'user', idempotent, rateTier: 'lenient' },
          schema: {
            body: z.object({ amount: z.string().regex(/^\d+$/), fail: z.boolean().optional(), refuse: z.boolean().optional(), crash: z.boolean().optional(), gate: z.string().optional() }),
            response: { 201: z.object({ id: z.string(), amount: z.string() }) },
          },
        },
        async (request, reply) => {
          const ctx = requestContext(request);
          const answer = await withTransaction(deps.db, async (trx) => {
            if (request.body.refuse) throw httpError('forbidden');
            const event = await deps.events.record(trx, { type: 'probe.paid', actorId: ctx.user.id, userIds: [ctx.user.id], data: { amount: request.body.amount } });
            const body = { id: event.id, amount: request.body.amount, internal: 'not in the schema' };
            await ctx.respondOnCommit?.(trx, 201, body);
            // a one-shot gate: the first request to reach it waits there, inside its transaction
            const gate = request.body.gate ? gates.get(request.body.gate) : undefined;
            if (gate) gates.delete(request.body.gate!);
            await gate;
            if (request.body.fail) throw httpError('conflict');
            if (request.body.crash) throw new Error('probe crash');
            return body;
          });
          const key = await deps.db.selectFrom('idempotency_keys').select('state').where('key', '=', String(request.headers['idempotency-key'])).executeTakeFirst();
          return reply.status(201).header('x-key-state', key?.state ?? 'none').send(answer);
        },
      );
    }
  },
};
