import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../platform/http/http.context.js';
import { pageQuery } from '../platform/http/http.pagination.js';
import type { AccountsModuleServices } from './accounts.module.js';
import { changePasswordBody, idParams, kycBody, kycDecisionBody, loginEntrySchema, patchMeBody, sessionSchema, userSchema } from './accounts.schema.js';

const tags = ['me'];

/** /me (the caller's own account) and the admin's KYC decision. */
export function meRoutes(app: FastifyInstance, s: AccountsModuleServices): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/me', { config: { auth: 'user', rateTier: 'lenient' }, schema: { tags, response: { 200: userSchema } } }, async (request) =>
    s.profile.me(requestContext(request)),
  );

  r.patch('/me', { config: { auth: 'user', rateTier: 'moderate' }, schema: { tags, body: patchMeBody, response: { 200: userSchema } } }, async (request) =>
    s.profile.update(requestContext(request), request.body),
  );

  r.post('/me/password', { config: { auth: 'user', rateTier: 'strict' }, schema: { tags, body: changePasswordBody } }, async (request, reply) => {
    await s.accounts.changePassword(requestContext(request), request.body.currentPassword, request.body.newPassword);
    return reply.status(204).send();
  });

  r.get(
    '/me/sessions',
    { config: { auth: 'user', rateTier: 'lenient' }, schema: { tags, response: { 200: z.object({ items: z.array(sessionSchema) }) } } },
    async (request) => s.profile.sessions(requestContext(request)),
  );

  r.delete('/me/sessions/:id', { config: { auth: 'user', rateTier: 'moderate' }, schema: { tags, params: idParams } }, async (request, reply) => {
    await s.profile.revokeSession(requestContext(request), request.params.id);
    return reply.status(204).send();
  });

  r.get(
    '/me/logins',
    {
      config: { auth: 'user', rateTier: 'lenient' },
      schema: {
        tags,
        querystring: pageQuery(20, 100),
        response: { 200: z.object({ items: z.array(loginEntrySchema), hasMore: z.boolean(), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => s.profile.logins(requestContext(request), request.query.limit, request.query.cursor),
  );

  r.post(
    '/me/kyc',
    { config: { auth: 'user', rateTier: 'strict' }, schema: { tags, body: kycBody, response: { 202: z.object({ kycStatus: z.literal('pending') }) } } },
    async (request, reply) => reply.status(202).send(await s.profile.submitKyc(requestContext(request), request.body)),
  );

  r.get(
    '/admin/kyc',
    {
      config: { auth: 'admin', rateTier: 'lenient' },
      schema: {
        tags: ['admin'],
        querystring: pageQuery(50, 100).extend({ status: z.enum(['none', 'pending', 'verified', 'rejected']).default('pending') }),
        response: {
          200: z.object({
            items: z.array(z.object({ user: userSchema, details: z.record(z.string(), z.unknown()).nullable() })),
            hasMore: z.boolean(),
            nextCursor: z.string().nullable(),
          }),
        },
      },
    },
    async (request) => s.profile.listKyc(request.query.status, request.query.limit, request.query.cursor),
  );

  r.post(
    '/admin/users/:id/kyc',
    { config: { auth: 'admin', rateTier: 'moderate' }, schema: { tags: ['admin'], params: idParams, body: kycDecisionBody, response: { 200: userSchema } } },
    async (request) => s.profile.decideKyc(requestContext(request), request.params.id, request.body.status, request.body.reason),
  );
}
