import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { httpError } from '../platform/http/http.errors.js';
import { queryInt } from '../platform/http/http.pagination.js';
import type { AccountsModuleServices } from './accounts.module.js';

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

const messageSchema = z.object({
  id: z.uuid(),
  channel: z.enum(['email', 'sms']),
  to: z.string(),
  subject: z.string().nullable(),
  text: z.string(),
  template: z.string(),
  links: z.array(z.string()),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
});

/**
 * GET /dev/outbox: the mail and SMS kept locally when no SMTP server is configured (never in
 * production), and only to a browser on the same machine, so links never leak to the network.
 */
export function devOutboxRoutes(app: FastifyInstance, s: AccountsModuleServices): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/dev/outbox',
    {
      config: { auth: 'none', rateTier: 'lenient' },
      schema: {
        tags: ['dev'],
        querystring: z.object({ limit: queryInt(1, 200).default(50) }),
        response: { 200: z.object({ items: z.array(messageSchema) }) },
      },
    },
    async (request) => {
      if (!LOOPBACK.test(request.ip)) throw httpError('route_not_found', { method: request.method, path: request.url.split('?')[0] });
      return { items: await s.messages.devOutbox(request.query.limit) };
    },
  );
}
