import { randomBytes, createHash } from 'node:crypto';
import { uuidv7 } from 'uuidv7';
import type { AppDeps } from '../../src/platform/deps.js';
import type { Role } from '../../src/platform/http/http.types.js';

export interface TestUser {
  id: string;
  email: string;
  role: Role;
  sessionId: string;
  token: string;
  /** Authorization header for app.inject(). */
  auth: { authorization: string };
}

let counter = 0;

/**
 * Creates a user with a live session and a signed access token, straight in the database:
 * for tests of other domains that need "a signed-in user" as a parent row. Admins have 2FA on
 * (as admin powers need) unless `twoFactor: false`.
 */
export async function createUser(
  deps: AppDeps,
  overrides: { email?: string; name?: string; role?: Role; locale?: string; timezone?: string; kycStatus?: 'none' | 'pending' | 'verified' | 'rejected'; twoFactor?: boolean } = {},
): Promise<TestUser> {
  const id = uuidv7();
  const email = overrides.email ?? `user${++counter}-${randomBytes(4).toString('hex')}@example.test`;
  const role = overrides.role ?? 'user';
  await deps.db
    .insertInto('users')
    .values({
      id,
      email,
      name: overrides.name ?? 'Test User',
      phone: null,
      password_hash: 'not-a-login-account',
      role,
      locale: overrides.locale ?? 'en',
      timezone: overrides.timezone ?? 'UTC',
      preferences: '{}',
      email_verified_at: new Date(),
      phone_verified_at: null,
      totp_secret: null,
      totp_enabled_at: (overrides.twoFactor ?? role === 'admin') ? new Date() : null,
      kyc_status: overrides.kycStatus ?? 'none',
      kyc_details: null,
      disabled_at: null,
    })
    .execute();
  const sessionId = uuidv7();
  await deps.db
    .insertInto('sessions')
    .values({
      id: sessionId,
      user_id: id,
      refresh_token_hash: createHash('sha256').update(randomBytes(32)).digest('hex'),
      family_id: uuidv7(),
      ip: '127.0.0.1',
      user_agent: 'vitest',
      expires_at: new Date(Date.now() + 86_400_000),
      revoked_at: null,
    })
    .execute();
  const token = await deps.tokens.sign({ id, role, sessionId });
  return { id, email, role, sessionId, token, auth: { authorization: `Bearer ${token}` } };
}
