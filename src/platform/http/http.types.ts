import type { Locale } from '../i18n/i18n.service.js';

export type AuthLevel = 'none' | 'optional' | 'user' | 'admin';
export type RateTier = 'strict' | 'moderate' | 'lenient';
export type Role = 'user' | 'admin';

export interface AuthUser {
  id: string;
  role: Role;
  sessionId: string | null;
  /**
   * The sign-in the session belongs to (its refresh-token family): it stays the same across
   * refreshes, and the session-ending events (logout, revocation, password change) name it.
   */
  sessionFamilyId?: string | null;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; routes that say nothing require a signed-in user. */
    auth?: AuthLevel;
    /** Rate-limit tier (DESIGN §4). */
    rateTier?: RateTier;
    /**
     * Opt in to Idempotency-Key handling (money-moving POSTs). 'withCommit': the key is not claimed
     * before the handler but written with the action's own COMMIT (see registerIdempotency).
     */
    idempotent?: boolean | 'withCommit';
  }
  interface FastifyRequest {
    user: AuthUser | null;
    /** The session check still running for `user` (see registerAuthGuard); settled before any handler. */
    authCheck: Promise<AuthUser | null> | null;
    locale: Locale;
  }
}
