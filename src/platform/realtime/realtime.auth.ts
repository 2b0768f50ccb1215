import type { FastifyRequest } from 'fastify';
import type { Socket } from 'socket.io';
import type { AppDeps } from '../deps.js';
import { AppError } from '../http/http.errors.js';
import type { AuthUser } from '../http/http.types.js';
import { negotiateLocale, translate } from '../i18n/i18n.service.js';
import type { SocketData } from './realtime.events.js';

export type HandshakeRefusal = 'unauthorized' | 'token_invalid' | 'token_expired' | 'unavailable';

/** The error a refused handshake hands the client (connect_error): message is the stable code, data explains it. */
export class HandshakeError extends Error {
  readonly data: { code: HandshakeRefusal; title: string; detail: string };

  constructor(code: HandshakeRefusal, locale: string) {
    super(code);
    this.data = { code, title: translate(locale, `errors.${code}.title`), detail: translate(locale, `errors.${code}.detail`) };
  }
}

/** The handshake seen as the request the accounts resolver expects: ip, headers, and a route that needs a signed-in user. */
function handshakeRequest(socket: Socket, deps: AppDeps, locale: string): FastifyRequest {
  return {
    ip: socket.handshake.address,
    headers: socket.handshake.headers,
    url: socket.handshake.url,
    method: 'GET',
    routeOptions: { url: '/socket.io', method: 'GET', config: { auth: 'user' } },
    locale,
    log: deps.logger,
    user: null,
  } as unknown as FastifyRequest;
}

/** Whether a connected socket's user and session are still live, asked of the accounts resolver again (the user changed). */
export async function socketStillLive(deps: AppDeps, socket: Socket): Promise<boolean> {
  const resolve = deps.services.authResolver;
  if (!resolve) return true;
  const { userId, role, tokenSessionId } = socket.data as SocketData;
  try {
    return !!(await resolve({ id: userId, role, sessionId: tokenSessionId }, handshakeRequest(socket, deps, 'en')));
  } catch (err) {
    if (err instanceof AppError) return false;
    throw err;
  }
}

/** Verifies an access token for a socket: signature and expiry, then the accounts resolver (live user and session). */
export async function verifySocketToken(
  deps: AppDeps,
  socket: Socket,
  token: unknown,
): Promise<AuthUser & { expiresAt: Date }> {
  const headerLocale = socket.handshake.headers['accept-language'];
  const locale = negotiateLocale(undefined, undefined, typeof headerLocale === 'string' ? headerLocale : undefined);
  if (typeof token !== 'string' || !token) throw new HandshakeError('unauthorized', locale);
  let claims: AuthUser & { expiresAt: Date };
  try {
    claims = await deps.tokens.verify(token);
  } catch (err) {
    if (err instanceof AppError) throw new HandshakeError(err.code === 'token_expired' ? 'token_expired' : 'token_invalid', locale);
    throw err;
  }
  const resolve = deps.services.authResolver;
  if (resolve) {
    let user: AuthUser | null;
    try {
      user = await resolve({ id: claims.id, role: claims.role, sessionId: claims.sessionId }, handshakeRequest(socket, deps, locale));
    } catch (err) {
      if (err instanceof AppError) throw new HandshakeError('token_invalid', locale);
      throw err;
    }
    if (!user) throw new HandshakeError('token_invalid', locale);
    return { ...user, expiresAt: claims.expiresAt };
  }
  return claims;
}
