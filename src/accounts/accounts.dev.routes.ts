import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsModuleServices } from './accounts.module.js';

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

/** GET /dev/outbox: the mail and SMS kept locally when no SMTP server is configured (never in production). */
export function devOutboxRoutes(app: FastifyInstance, s: AccountsModuleServices): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/dev/outbox',
    {
      config: { auth: 'none', rateTier: 'lenient' },
      schema: {
        tags: ['dev'],
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
        response: { 200: z.object({ items: z.array(messageSchema) }) },
      },
    },
    async (request) => ({ items: await s.messages.devOutbox(request.query.limit) }),
  );
}
