import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../platform/http/http.context.js';
import type { WalletsCore } from './wallets.core.js';
import { createIntentBody, intentParams, intentSchema, intentsQuery } from './intents.schema.js';
import { cancelIntent, createIntent, fundIntent, getIntent, listIntents } from './intents.service.js';

/** Payment requests: create, list, read, fund (idempotent, through the transfer pipeline), cancel. */
export function intentsRoutes(app: FastifyInstance, core: WalletsCore): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/intents',
    { config: { rateTier: 'moderate', idempotent: true }, schema: { tags: ['intents'], body: createIntentBody, response: { 201: intentSchema } } },
    async (request, reply) => reply.status(201).send(await createIntent(core, requestContext(request), request.body)),
  );
  r.get(
    '/intents',
    { config: { rateTier: 'lenient' }, schema: { tags: ['intents'], querystring: intentsQuery, response: { 200: z.object({ intents: z.array(intentSchema), hasMore: z.boolean(), nextCursor: z.string().nullable() }) } } },
    async (request) => listIntents(core, requestContext(request), request.query),
  );
  r.get(
    '/intents/:id',
    { config: { rateTier: 'lenient' }, schema: { tags: ['intents'], params: intentParams, response: { 200: intentSchema } } },
    async (request) => getIntent(core, requestContext(request), request.params.id),
  );
  r.post(
    '/intents/:id/fund',
    { config: { rateTier: 'strict', idempotent: true }, schema: { tags: ['intents'], params: intentParams, response: { 202: intentSchema } } },
    async (request, reply) => reply.status(202).send(await fundIntent(core, requestContext(request), request.params.id)),
  );
  r.post(
    '/intents/:id/cancel',
    { config: { rateTier: 'moderate' }, schema: { tags: ['intents'], params: intentParams, response: { 200: intentSchema } } },
    async (request) => cancelIntent(core, requestContext(request), request.params.id),
  );
}
