import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../platform/deps.js';
import { requestContext } from '../platform/http/http.context.js';
import { emailPreferencesBody, emailPreferencesView } from './notifications.email.schema.js';

const tags = ['notifications'];

export function notificationEmailRoutes(app: FastifyInstance, deps: AppDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const emails = deps.services.notifications.emails;
  api.get('/notifications/email-preferences', { config: { auth: 'user', rateTier: 'lenient' }, schema: { tags, response: { 200: emailPreferencesView } } }, async (request) =>
    emails.preferences(requestContext(request).user.id),
  );
  api.put(
    '/notifications/email-preferences',
    { config: { auth: 'user', rateTier: 'lenient' }, schema: { tags, body: emailPreferencesBody, response: { 200: emailPreferencesView } } },
    async (request) => emails.setPreferences(requestContext(request), request.body.email),
  );
}
