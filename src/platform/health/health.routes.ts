import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { configuredSecrets, hideSecrets, shortErrorText, type HiddenValue } from '../observability/logger.js';

const REDIS_PING_TIMEOUT_MS = 1000;

/** Why a check failed, short and safe for an unauthenticated answer (no URL, no configured secret). */
function reason(err: unknown, hidden: readonly HiddenValue[]): string {
  return hideSecrets(shortErrorText(err), hidden);
}

async function timed(check: () => Promise<unknown>, hidden: readonly HiddenValue[], timeoutMs = 2000): Promise<{ ok: boolean; ms: number; error?: string }> {
  const start = performance.now();
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), timeoutMs).unref()),
    ]);
    return { ok: true, ms: Math.round(performance.now() - start) };
  } catch (err) {
    return { ok: false, ms: Math.round(performance.now() - start), error: reason(err, hidden) };
  }
}

const checkSchema = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() });
const readySchema = z.object({ status: z.enum(['ready', 'degraded', 'unavailable']), checks: z.record(z.string(), checkSchema) });

/**
 * Liveness (the process answers) and readiness: the database, job queue and chain must answer; Redis,
 * when configured, is reported but only degrades readiness, since requests go on without it (rate limits counted per node).
 */
export function healthRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const hidden = configuredSecrets(deps.config);
  r.get(
    '/health/live',
    { config: { auth: 'none' }, schema: { tags: ['health'], response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );
  r.get(
    '/health/ready',
    { config: { auth: 'none' }, schema: { tags: ['health'], response: { 200: readySchema, 503: readySchema } } },
    async (_request, reply) => {
      const { redis } = deps;
      const [database, jobs, chain, redisCheck] = await Promise.all([
        timed(() => sql`select 1`.execute(deps.db), hidden),
        timed(async () => {
          if (!deps.jobs.isStarted) throw new Error('job queue not started');
          await sql`select 1 from pgboss.version`.execute(deps.db);
        }, hidden),
        timed(() => deps.chain.publicClient.getBlockNumber(), hidden),
        redis ? timed(() => redis.ping(), hidden, REDIS_PING_TIMEOUT_MS) : undefined,
      ]);
      const checks = { database, jobs, chain, ...(redisCheck && { redis: redisCheck }) };
      const ok = database.ok && jobs.ok && chain.ok;
      const status = !ok ? 'unavailable' : redisCheck && !redisCheck.ok ? 'degraded' : 'ready';
      return reply.status(ok ? 200 : 503).send({ status, checks });
    },
  );
}
