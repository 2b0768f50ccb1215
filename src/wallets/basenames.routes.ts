import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requestContext } from '../platform/http/http.context.js';
import type { WalletsCore } from './wallets.core.js';
import { basenameCheckQuery, basenameCheckSchema, basenameParams, myBasenamesSchema, registerBasenameBody, registeredBasenameSchema, transferBasenameBody } from './basenames.schema.js';
import { checkName, myBasenames, registerBasename, transferBasename } from './basenames.service.js';

/** Basenames: check, register (fee through the transfer pipeline), transfer, mine with history. */
export function basenamesRoutes(app: FastifyInstance, core: WalletsCore): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/basenames/check',
    { config: { auth: 'optional', rateTier: 'lenient' }, schema: { tags: ['basenames'], querystring: basenameCheckQuery, response: { 200: basenameCheckSchema } } },
    async (request) => checkName(core, request.query.name),
  );
  r.get('/basenames', { config: { rateTier: 'lenient' }, schema: { tags: ['basenames'], response: { 200: myBasenamesSchema } } }, async (request) =>
    myBasenames(core, requestContext(request)),
  );
  r.post(
    '/basenames',
    { config: { rateTier: 'strict', idempotent: true }, schema: { tags: ['basenames'], body: registerBasenameBody, response: { 200: registeredBasenameSchema, 201: registeredBasenameSchema } } },
    async (request, reply) => {
      const result = await registerBasename(core, requestContext(request), request.body);
      return reply.status(result.action === 'registered' ? 201 : 200).send(result);
    },
  );
  r.post(
    '/basenames/:name/transfer',
    { config: { rateTier: 'strict' }, schema: { tags: ['basenames'], params: basenameParams, body: transferBasenameBody, response: { 200: registeredBasenameSchema } } },
    async (request) => transferBasename(core, requestContext(request), request.params.name, request.body.to),
  );
}
