import type { Locale } from '../i18n/i18n.service.js';

export type AuthLevel = 'none' | 'optional' | 'user' | 'admin';
export type RateTier = 'strict' | 'moderate' | 'lenient';
export type Role = 'user' | 'admin';

export interface AuthUser {
  id: string;
  /**
   * Once the auth resolver has answered (before any handler runs), 'admin' means an admin whose 2FA
   * is on: admin powers anywhere (admin routes, another user's data on user routes) follow from it.
   */
  role: Role;
  /** An admin account whose 2FA is off: it acts as a user until 2FA is on (see mayActForOthers). */
  adminWithout2fa?: boolean;
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
