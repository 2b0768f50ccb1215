import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { httpError } from '../http/http.errors.js';
import { DEFAULT_LOCALE, LOCALES, LOCALE_NAMES, catalogFor, isLocale } from './i18n.service.js';

/** The supported locales and each locale's catalog (the web app loads its strings from here). */
export function i18nRoutes(app: FastifyInstance): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/i18n/locales',
    {
      config: { auth: 'none', rateTier: 'lenient' },
      schema: {
        tags: ['i18n'],
        response: {
          200: z.object({
            default: z.string(),
            current: z.string(),
            locales: z.array(z.object({ code: z.string(), name: z.string(), nativeName: z.string() })),
          }),
        },
      },
    },
    async (request) => ({
      default: DEFAULT_LOCALE,
      current: request.locale,
      locales: LOCALES.map((code) => ({ code, ...LOCALE_NAMES[code] })),
    }),
  );
  r.get(
    '/i18n/translations/:locale',
    {
      config: { auth: 'none', rateTier: 'lenient' },
      schema: { tags: ['i18n'], params: z.object({ locale: z.string().max(20) }) },
    },
    async (request, reply) => {
      const { locale } = request.params;
      if (!isLocale(locale)) throw httpError('not_found', { resource: `locale ${locale}` });
      reply.header('cache-control', 'public, max-age=300');
      return catalogFor(locale);
    },
  );
}
