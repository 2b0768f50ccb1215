import { AppError } from '../platform/http/http.errors.js';

/** The admin user-management codes and their HTTP status; texts live in locales under errors.<code>. */
export const ADMIN_USERS_ERRORS = {
  admin_self_disable: 403,
  admin_self_demote: 403,
  last_admin: 409,
  account_deleted: 409,
} as const;

export type AdminUsersErrorCode = keyof typeof ADMIN_USERS_ERRORS;

/** Builds an AppError for one of the admin user-management codes. */
export function adminUsersError(code: AdminUsersErrorCode): AppError {
  return new AppError(ADMIN_USERS_ERRORS[code], code);
}
