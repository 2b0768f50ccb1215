import type { FastifyRequest } from 'fastify';
import type { Locale } from '../i18n/i18n.service.js';
import { httpError } from './http.errors.js';
import type { IdempotencyResponder } from './http.idempotency.js';
import type { AuthUser } from './http.types.js';

/** Where an action came from; services pass it into the events they record (the activity log keeps it). */
export interface ActorContext {
  ip: string | null;
  userAgent: string | null;
}

/** Who is acting and from where: what a route hands to a service. */
export interface RequestContext extends ActorContext {
  user: AuthUser;
  locale: Locale;
  /** The Idempotency-Key this request holds, scoped to its caller (a service may keep it with what it creates). */
  idempotencyKey?: string | null;
  /**
   * With an Idempotency-Key: stores the response the route is about to send (its status and
   * payload) with the COMMIT of the service's transaction, instead of a write after the answer.
   */
  respondOnCommit?: IdempotencyResponder | null;
}

/** The signed-in caller of a route with auth 'user' or 'admin'; identity never comes from the request body. */
export function requestContext(request: FastifyRequest): RequestContext {
  if (!request.user) throw httpError('unauthorized');
  const claim = request.idempotency;
  return {
    user: request.user,
    locale: request.locale,
    idempotencyKey: claim ? `${claim.scope}\n${claim.key}` : null,
    respondOnCommit: claim ? request.idempotencyResponder : null,
    ...actorContext(request),
  };
}

/**
 * Whether the caller may name another user's data (a `userId` parameter): an admin may (the
 * resolver gives the role 'admin' only with 2FA on); an admin whose 2FA is off is told to turn it
 * on (403 admin_2fa_required) rather than quietly treated as a user; anyone else: false.
 */
export function mayActForOthers(user: AuthUser): boolean {
  if (user.role === 'admin') return true;
  if (user.adminWithout2fa) throw httpError('admin_2fa_required');
  return false;
}

/** Refuses a `userId` parameter naming someone else (403 forbidden) unless mayActForOthers allows it; the caller's own id is fine. */
export function assertMayName(user: AuthUser, userId: string | undefined): void {
  if (userId && userId !== user.id && !mayActForOthers(user)) throw httpError('forbidden');
}

export function actorContext(request: FastifyRequest): ActorContext {
  const ua = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null };
}
