import type { FastifyCorsOptions } from '@fastify/cors';

/** Request headers the API reads beyond the CORS-safelisted ones (the web client sends all of them). */
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Accept', 'Accept-Language', 'X-Locale', 'Idempotency-Key'];

/** Response headers clients read beyond the safelisted ones: rate limits, replays, request ids, download names. */
const EXPOSED_HEADERS = ['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Idempotent-Replayed', 'X-Request-Id', 'Content-Disposition'];

/** CORS for the listed origins (none: same origin only), with every method and header the API uses. */
export function corsOptions(origins: string[]): FastifyCorsOptions {
  return {
    origin: origins.length ? origins : false,
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  };
}
