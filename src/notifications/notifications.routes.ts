import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../platform/deps.js';
import { requestContext } from '../platform/http/http.context.js';
import {
  announcementBody,
  announcementView,
  countsView,
  idParams,
  listQuery,
  notificationPage,
  notificationView,
  preferencesBody,
  preferencesView,
  readAllView,
  seenView,
} from './notifications.schema.js';

const tags = ['notifications'];

export function notificationsRoutes(app: FastifyInstance, deps: AppDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const service = deps.services.notifications;
  const read = { auth: 'user', rateTier: 'lenient' } as const;
  const write = { auth: 'user', rateTier: 'lenient' } as const;

  api.get('/notifications', { config: read, schema: { tags, querystring: listQuery, response: { 200: notificationPage } } }, async (request) =>
    service.list(requestContext(request).user.id, request.query),
  );
  api.get('/notifications/unread-count', { config: read, schema: { tags, response: { 200: countsView } } }, async (request) =>
    service.counts(requestContext(request).user.id),
  );
  api.post('/notifications/read-all', { config: write, schema: { tags, response: { 200: readAllView } } }, async (request) =>
    service.markAllRead(requestContext(request)),
  );
  api.post('/notifications/seen', { config: write, schema: { tags, response: { 200: seenView } } }, async (request) =>
    service.markSeen(requestContext(request)),
  );
  api.get('/notifications/preferences', { config: read, schema: { tags, response: { 200: preferencesView } } }, async (request) =>
    service.preferences(requestContext(request).user.id),
  );
  api.put('/notifications/preferences', { config: write, schema: { tags, body: preferencesBody, response: { 200: preferencesView } } }, async (request) =>
    service.setPreferences(requestContext(request), request.body.muted as Record<string, boolean>),
  );
  api.post('/notifications/:id/read', { config: write, schema: { tags, params: idParams, response: { 200: notificationView } } }, async (request) =>
    service.markRead(requestContext(request), request.params.id),
  );
  api.post('/notifications/:id/archive', { config: write, schema: { tags, params: idParams, response: { 200: notificationView } } }, async (request) =>
    service.archive(requestContext(request), request.params.id),
  );
  api.delete('/notifications/:id', { config: write, schema: { tags, params: idParams } }, async (request, reply) => {
    await service.remove(requestContext(request), request.params.id);
    return reply.status(204).send();
  });
  api.post(
    '/admin/announcements',
    { config: { auth: 'admin', rateTier: 'moderate' }, schema: { tags, body: announcementBody, response: { 201: announcementView } } },
    async (request, reply) => reply.status(201).send(await service.announce(requestContext(request), request.body)),
  );
}
