import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../platform/http/http.context.js';
import type { AccountsModuleServices } from './accounts.module.js';
import { changeEmailBody, confirmEmailChangeBody, deleteAccountBody, userSchema } from './accounts.schema.js';

const userStrict = { auth: 'user', rateTier: 'strict' } as const;
const tags = ['me'];

/** /me/email (change the sign-in address through a code mailed to the new one) and DELETE /me (delete the account). */
export function lifecycleRoutes(app: FastifyInstance, { emailChange, deletion }: AccountsModuleServices): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/me/email',
    { config: userStrict, schema: { tags, body: changeEmailBody, response: { 202: z.object({ expiresInSeconds: z.number().int() }) } } },
    async (request, reply) => reply.status(202).send(await emailChange.request(requestContext(request), request.body)),
  );

  r.post('/me/email/confirm', { config: userStrict, schema: { tags, body: confirmEmailChangeBody, response: { 200: userSchema } } }, async (request) =>
    emailChange.confirm(requestContext(request), request.body.code),
  );

  r.delete('/me', { config: userStrict, schema: { tags, body: deleteAccountBody, response: { 204: z.null().describe('The account is deleted; no body') } } }, async (request, reply) => {
    await deletion.deleteAccount(requestContext(request), request.body);
    return reply.status(204).send(null);
  });
}
