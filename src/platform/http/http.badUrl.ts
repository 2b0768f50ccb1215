import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { badUrl, decodable, httpError } from './http.errors.js';

/** Where a request whose path cannot be decoded is routed (see rewriteBadUrl); asked for directly, it is not found. */
const BAD_URL_PATH = '/__bad-url';

/**
 * Fastify's rewriteUrl: a URL whose path or query has percent-escapes that are not UTF-8 is sent to
 * BAD_URL_PATH (query kept).
 * The router would otherwise refuse it through frameworkErrors, before any onRequest hook, so the answer
 * would lack the language, request id, security and CORS headers every other answer has.
 */
export function rewriteBadUrl(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = queryAt === -1 ? '' : url.slice(queryAt + 1);
  // the query parser would keep a broken escape as literal text ("%FF" looked up as a name)
  const broken = (part: string) => part.includes('%') && !decodable(part);
  if (!broken(path) && !broken(query)) return url;
  return BAD_URL_PATH + (queryAt === -1 ? '' : url.slice(queryAt));
}

/** Answers what rewriteBadUrl sent here with the localized 400 (request.originalUrl keeps the path asked for). */
export function registerBadUrlRoute(app: FastifyInstance): void {
  app.all(BAD_URL_PATH, { config: { auth: 'none' }, schema: { hide: true } }, async (request) => {
    if (request.originalUrl === request.url) throw httpError('route_not_found', { method: request.method, path: BAD_URL_PATH });
    throw badUrl();
  });
}
