import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { httpError, sendProblem } from '../platform/http/http.errors.js';
import type { DomainModule } from '../platform/modules.js';

/** Where `npm run build` puts the single-page app. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** Paths owned by the server: never answered with the SPA shell, so unknown ones stay problem+json 404s. */
const SERVER_PREFIXES = ['/api', '/docs', '/health', '/metrics', '/socket.io'];

export function isServerPath(pathname: string): boolean {
  return SERVER_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

/**
 * The web app's Content-Security-Policy: scripts, styles, fonts and connections (the API, Socket.io)
 * from this origin only, no plugins, no framing. The refresh token lives in localStorage, so script
 * that got into a page must not run; React's style props go through the CSSOM, which 'self' allows.
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The file under root that a URL path names, or null when it is not a regular file inside root. */
function fileFor(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const full = path.resolve(root, `.${path.posix.normalize(decoded)}`);
  if (!full.startsWith(root)) return null;
  try {
    return statSync(full).isFile() ? path.relative(root, full) : null;
  } catch {
    return null;
  }
}

/** Serves the built web app from root: real files as they are, every other page path as index.html. */
export async function webRoutes(app: FastifyInstance, root: string = WEB_DIST): Promise<void> {
  const dir = path.resolve(root);
  if (!existsSync(path.join(dir, 'index.html'))) {
    app.log.warn({ dir }, 'web app not built (run `npm run build`); serving the API only');
    return;
  }
  await app.register(fastifyStatic, { root: dir, serve: false, index: false });
  const handler = (request: FastifyRequest, reply: FastifyReply) => {
    const pathname = request.url.split('?')[0];
    if (isServerPath(pathname)) {
      return sendProblem(request, reply, httpError('route_not_found', { method: request.method, path: pathname }));
    }
    const file = pathname === '/' ? null : fileFor(dir, pathname);
    // a missing file (a name with an extension; page paths have none) is a 404, not the shell: a stale
    // hashed asset answered with HTML would fail in the browser as a script of the wrong type
    if (!file && path.posix.extname(pathname)) {
      return sendProblem(request, reply, httpError('route_not_found', { method: request.method, path: pathname }));
    }
    if (file && file !== 'index.html') {
      const immutable = file.startsWith(`assets${path.sep}`);
      return reply.sendFile(file, { maxAge: immutable ? 31_536_000_000 : 0, immutable, cacheControl: true });
    }
    reply.header('cache-control', 'no-cache');
    reply.header('content-security-policy', WEB_CSP);
    return reply.sendFile('index.html', { cacheControl: false });
  };
  app.get('/*', { config: { auth: 'none' }, schema: { hide: true } }, handler);
}

/** The web app module: registered last, outside /api/v1, so every API route wins over the SPA fallback. */
export function createWebModule(root: string = WEB_DIST): DomainModule {
  return { name: 'web', rootRoutes: (app) => webRoutes(app, root) };
}

export const webModule = createWebModule();
