import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import { AppError } from './http.errors.js';
import { sharedOrLocalStore } from './http.rateLimitStore.js';
import type { RateTier } from './http.types.js';

/** Rate-limit tiers as one-word route options; per user when signed in, per IP otherwise; Redis-backed when configured (per node while Redis fails). */
export async function registerRateLimits(app: FastifyInstance, config: Config, redis: Redis | null): Promise<void> {
  const max: Record<RateTier, number> = {
    strict: config.RATE_LIMIT_STRICT,
    moderate: config.RATE_LIMIT_MODERATE,
    lenient: config.RATE_LIMIT_LENIENT,
  };
  app.addHook('onRoute', (route) => {
    const tier = route.config?.rateTier;
    if (!tier) return;
    route.config = {
      ...route.config,
      rateLimit: { max: max[tier], timeWindow: config.RATE_LIMIT_WINDOW_MS },
    } as typeof route.config;
  });
  await app.register(rateLimit, {
    global: false,
    hook: 'preValidation',
    enableDraftSpec: true,
    store: redis ? sharedOrLocalStore(redis, `${config.REDIS_PREFIX}-rl-`) : undefined,
    keyGenerator: (request) => (request.user ? `u:${request.user.id}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new AppError(429, 'rate_limited', { seconds: Math.max(1, Math.ceil(context.ttl / 1000)) }),
  });
}
