import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requestContext } from '../platform/http/http.context.js';
import type { AdminUsersService } from './accounts.adminusers.service.js';
import { adminUserDetailSchema, adminUserSchema, adminUsersPage, adminUsersQuery, disableBody, enableBody, roleBody } from './accounts.adminusers.schema.js';
import { idParams } from './accounts.schema.js';

const tags = ['admin'];

/** /admin/users: admins (with 2FA) search accounts, disable or enable them and change their role. */
export function adminUsersRoutes(app: FastifyInstance, s: AdminUsersService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/admin/users',
    { config: { auth: 'admin', rateTier: 'lenient' }, schema: { tags, querystring: adminUsersQuery, response: { 200: adminUsersPage } } },
    async (request) => {
      const { limit, cursor, ...search } = request.query;
      return s.list(search, limit, cursor);
    },
  );

  r.get(
    '/admin/users/:id',
    { config: { auth: 'admin', rateTier: 'lenient' }, schema: { tags, params: idParams, response: { 200: adminUserDetailSchema } } },
    async (request) => s.get(request.params.id),
  );

  r.post(
    '/admin/users/:id/disable',
    { config: { auth: 'admin', rateTier: 'moderate' }, schema: { tags, params: idParams, body: disableBody, response: { 200: adminUserSchema } } },
    async (request) => s.disable(requestContext(request), request.params.id, request.body.reason),
  );

  r.post(
    '/admin/users/:id/enable',
    { config: { auth: 'admin', rateTier: 'moderate' }, schema: { tags, params: idParams, body: enableBody, response: { 200: adminUserSchema } } },
    async (request) => s.enable(requestContext(request), request.params.id),
  );

  r.post(
    '/admin/users/:id/role',
    { config: { auth: 'admin', rateTier: 'moderate' }, schema: { tags, params: idParams, body: roleBody, response: { 200: adminUserSchema } } },
    async (request) => s.setRole(requestContext(request), request.params.id, request.body.role),
  );
}
