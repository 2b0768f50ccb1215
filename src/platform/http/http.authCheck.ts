import type { FastifyRequest } from 'fastify';

/**
 * Waits for the request's running session check (see registerAuthGuard), if any, and puts the
 * resolver's user in place. Answers false when the session is dead (the token stays unusable);
 * an error of the check itself is thrown. Used before handlers (confirmAuth) and by the error
 * handler, so a request refused early still answers 401 first when its session is dead.
 */
export async function settleAuthCheck(request: FastifyRequest): Promise<boolean> {
  const check = request.authCheck;
  if (!check) return true;
  request.authCheck = null;
  const user = await check;
  request.user = user;
  return user !== null;
}
