import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../platform/deps.js';
import { requestContext } from '../platform/http/http.context.js';
import { sendExport } from '../platform/http/http.export.js';
import { ACTIVITY_CSV_COLUMNS } from './activity.service.js';
import { acceptedView, activityPage, clientEventBody, exportQuery, listQuery, statsQuery, statsView } from './activity.schema.js';

const tags = ['activity'];

export function activityRoutes(app: FastifyInstance, deps: AppDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const service = deps.services.activity;

  api.get('/activity', { config: { auth: 'user', rateTier: 'lenient' }, schema: { tags, querystring: listQuery, response: { 200: activityPage } } }, async (request) =>
    service.list(requestContext(request), request.query),
  );
  api.get('/activity/stats', { config: { auth: 'user', rateTier: 'lenient' }, schema: { tags, querystring: statsQuery, response: { 200: statsView } } }, async (request) =>
    service.stats(requestContext(request), request.query),
  );
  api.get('/activity/export', { config: { auth: 'user', rateTier: 'moderate' }, schema: { tags, querystring: exportQuery } }, async (request, reply) => {
    const ctx = requestContext(request);
    const { format, ...filters } = request.query;
    service.filterFor(ctx, filters);
    return sendExport(reply, 'activity', service.exportRows(ctx, filters), format, ACTIVITY_CSV_COLUMNS);
  });
  api.post('/activity', { config: { auth: 'user', rateTier: 'moderate' }, schema: { tags, body: clientEventBody, response: { 202: acceptedView } } }, async (request, reply) =>
    reply.status(202).send(await service.recordClientEvent(requestContext(request), request.body)),
  );
}
