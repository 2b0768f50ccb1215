import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
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

/** The last value of a header a chain of proxies appended to, as Fastify reads X-Forwarded-Proto and -Host. */
function lastEntry(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value.join(',') : value;
  return text?.split(',').pop()?.trim() || undefined;
}

/** The origin (scheme://host[:port]) a request was made to, as Fastify's request.protocol and request.host tell it. */
function ownOrigin(req: IncomingMessage, trustsPeer: (address: string | undefined) => boolean): string | null {
  const viaProxy = trustsPeer(req.socket.remoteAddress);
  const protocol = (viaProxy && lastEntry(req.headers['x-forwarded-proto'])) || ((req.socket as TLSSocket).encrypted ? 'https' : 'http');
  const host = (viaProxy && lastEntry(req.headers['x-forwarded-host'])) || req.headers.host;
  if (!host) return null;
  try {
    return new URL(`${protocol}://${host}`).origin;
  } catch {
    return null;
  }
}

/**
 * Whether a page may open a connection the way CORS lets it call the API: a request without Origin
 * (not a browser page) or from the request's own origin, or from one listed in CORS_ORIGINS. WebSockets
 * are not held back by CORS, so Socket.io's handshakes ask this (Origin: null is refused).
 */
export function originAllowed(req: IncomingMessage, origins: string[], trustsPeer: (address: string | undefined) => boolean): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (origins.includes(origin)) return true;
  return origin !== 'null' && origin === ownOrigin(req, trustsPeer);
}
