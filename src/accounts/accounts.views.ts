import { deviceName } from '../platform/http/http.device.js';
import type { LoginAttemptRow, SessionRow, UserRow } from './accounts.repo.js';

/** What the API shows of a user (never the hash, the TOTP seed or KYC details). */
export function userView(row: UserRow) {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    phone: row.phone,
    role: row.role,
    locale: row.locale,
    timezone: row.timezone,
    preferences: (row.preferences ?? {}) as Record<string, unknown>,
    emailVerified: row.email_verified_at !== null,
    phoneVerified: row.phone_verified_at !== null,
    twoFactorEnabled: row.totp_enabled_at !== null,
    kycStatus: row.kyc_status,
    createdAt: row.created_at.toISOString(),
  };
}

export type UserView = ReturnType<typeof userView>;

/** A signed-in device; id is the session family, stable across refresh-token rotation. */
export function sessionView(row: SessionRow, currentSessionId: string | null, currentFamilyId: string | null) {
  return {
    id: row.family_id,
    current: row.id === currentSessionId || row.family_id === currentFamilyId,
    ip: row.ip,
    userAgent: row.user_agent,
    device: deviceName(row.user_agent),
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
  };
}

/** One sign-in attempt of the login history. */
export function loginView(row: LoginAttemptRow) {
  return {
    id: row.id,
    at: row.created_at.toISOString(),
    success: row.success,
    method: row.method,
    reason: row.reason,
    ip: row.ip,
    userAgent: row.user_agent,
    device: deviceName(row.user_agent),
  };
}
