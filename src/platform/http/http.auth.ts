import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { LRUCache } from 'lru-cache';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { httpError } from './http.errors.js';
import { settleAuthCheck } from './http.authCheck.js';
import type { AuthUser, Role } from './http.types.js';

const ISSUER = 'streakpets';
const AUDIENCE = 'streakpets-api';
/** Verified tokens remembered at once (a few MB at most); the least recently used go first. */
const VERIFIED_TOKENS = 10_000;

type VerifiedToken = AuthUser & { expiresAt: Date };

/** jose's expiry rule: a token is good while its `exp` (whole seconds) is after the current whole second. */
function expired(token: VerifiedToken, nowMs = Date.now()): boolean {
  return token.expiresAt.getTime() / 1000 <= Math.floor(nowMs / 1000);
}

/** Short-lived HS256 access tokens carrying the user id, role and session id. */
export class AccessTokens {
  /** Imported once: jose would otherwise import the raw secret into WebCrypto on every sign and verify. */
  private readonly key: Promise<CryptoKey>;
  /**
   * Tokens whose signature and claims were already verified, by their exact text: a signature proves
   * the same thing every time, so it is checked once per token. Expiry is checked on every use, and
   * session liveness is the resolver's job on every request (revocation stays immediate).
   */
  private readonly verified = new LRUCache<string, VerifiedToken>({ max: VERIFIED_TOKENS });

  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  }

  async sign(user: AuthUser, extra: Record<string, unknown> = {}): Promise<string> {
    return new SignJWT({ ...extra, role: user.role, sid: user.sessionId ?? undefined, typ: 'access' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(await this.key);
  }

  /** Verifies signature, algorithm, issuer, audience and expiry; throws token_expired for a genuine token past its expiry, token_invalid otherwise. */
  async verify(token: string): Promise<VerifiedToken> {
    const known = this.verified.get(token);
    if (known) {
      if (!expired(known)) return { ...known, expiresAt: new Date(known.expiresAt) };
      this.verified.delete(token);
      throw httpError('token_expired');
    }
    const claims = await this.verifySignature(token);
    this.verified.set(token, claims);
    return { ...claims, expiresAt: new Date(claims.expiresAt) };
  }

  private async verifySignature(token: string): Promise<VerifiedToken> {
    try {
      const { payload } = await jwtVerify(token, await this.key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['exp'] });
      if (payload.typ !== 'access' || typeof payload.sub !== 'string') throw httpError('token_invalid');
      const role: Role = payload.role === 'admin' ? 'admin' : 'user';
      return {
        id: payload.sub,
        role,
        sessionId: typeof payload.sid === 'string' ? payload.sid : null,
        expiresAt: new Date(payload.exp! * 1000),
      };
    } catch (err) {
      // jose checks the claims only once the signature holds: an expired token here is one we issued
      if (err instanceof joseErrors.JWTExpired) throw httpError('token_expired');
      if (err instanceof joseErrors.JOSEError || err instanceof TypeError) throw httpError('token_invalid');
      throw err;
    }
  }
}

/** Lets the accounts domain confirm a verified token still names a live user and session, and add its admin rules. */
export type AuthResolver = (claims: AuthUser, request: FastifyRequest) => Promise<AuthUser | null>;

export function bearerToken(header: string | undefined): string | null {
  // exactly "Bearer <token>" (RFC 6750): anything after the token makes the header malformed
  const match = header ? /^bearer +(\S+) *$/i.exec(header) : null;
  return match ? match[1]! : null;
}

/**
 * The auth guard: every route declares auth 'none' | 'optional' | 'user' | 'admin' (default 'user').
 * The token is verified here, before anything else runs. Whether its session is still live is
 * asked of the resolver here too, but answered later (confirmAuth): meanwhile the body is parsed
 * and validated and the Idempotency-Key claimed, so the session check costs the request no round
 * trip of its own. `request.user` holds the token's claims until then; confirmAuth replaces them
 * with the resolver's answer before any handler runs, and an error answered before that waits for
 * the check, so a dead session is still a 401 whatever else is wrong with the request. Admin
 * routes wait for the check at once (their role comes from it).
 */
export function registerAuthGuard(app: FastifyInstance, tokens: AccessTokens, resolver?: () => AuthResolver | undefined): void {
  app.decorateRequest('user', null);
  app.decorateRequest('authCheck', null);
  app.addHook('onRequest', async (request) => {
    const level = request.routeOptions.config?.auth ?? (request.url.startsWith('/api/') && !request.is404 ? 'user' : 'none');
    if (level === 'none') return;
    const token = bearerToken(request.headers.authorization);
    if (!token) {
      if (level === 'optional') return;
      throw httpError('unauthorized');
    }
    const claims: AuthUser = await tokens.verify(token);
    request.user = claims;
    const resolve = resolver?.();
    if (resolve) {
      request.authCheck = resolve(claims, request);
      request.authCheck.catch(() => undefined);
    }
    if (level === 'admin') {
      await confirmAuth(request);
      if (request.user?.role !== 'admin') throw httpError('forbidden');
    }
  });
}

/** Waits for the request's session check, if one is running: the resolver's user, or token_invalid. */
export async function confirmAuth(request: FastifyRequest): Promise<void> {
  if (!(await settleAuthCheck(request))) throw httpError('token_invalid');
}

/** Registered after every other preHandler hook: no handler runs before its session check has answered. */
export function registerAuthConfirmation(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => confirmAuth(request));
}
