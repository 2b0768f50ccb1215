import { AppError, type FieldProblem } from '../platform/http/http.errors.js';
import { PASSWORD_MAX_LENGTH } from './accounts.passwords.js';

/** The accounts domain's stable error codes and their HTTP status; texts live in locales under errors.<code>. */
export const ACCOUNTS_ERRORS = {
  email_taken: 409,
  phone_taken: 409,
  weak_password: 422,
  password_too_long: 422,
  current_password_invalid: 422,
  password_unchanged: 422,
  invalid_credentials: 401,
  totp_required: 401,
  totp_invalid: 401,
  login_throttled: 429,
  account_disabled: 403,
  refresh_invalid: 401,
  refresh_reused: 401,
  totp_already_enabled: 409,
  totp_not_set_up: 409,
  totp_not_enabled: 409,
  link_invalid: 400,
  email_already_verified: 409,
  code_invalid: 400,
  code_expired: 400,
  sms_quota: 429,
  session_not_found: 404,
  user_not_found: 404,
  kyc_already_verified: 409,
  kyc_already_pending: 409,
  kyc_not_pending: 409,
  kyc_self_review: 403,
  email_unchanged: 422,
  email_change_quota: 429,
  email_change_address_quota: 429,
  totp_code_required: 422,
  totp_code_invalid: 422,
  totp_code_throttled: 429,
  account_has_funds: 409,
  account_has_pending_transfers: 409,
} as const;

export type AccountsErrorCode = keyof typeof ACCOUNTS_ERRORS;

/** Builds an AppError for one of the accounts codes. */
export function accountsError(
  code: AccountsErrorCode,
  params: Record<string, unknown> = {},
  errors: FieldProblem[] = [],
  headers: Record<string, string> = {},
): AppError {
  return new AppError(ACCOUNTS_ERRORS[code], code, params, errors, headers);
}

/** The answer to a refused new password: password_too_long (naming the maximum) when it is too long, weak_password otherwise. */
export function passwordError(problems: FieldProblem[]): AppError {
  return problems.some((p) => p.code === 'too_long')
    ? accountsError('password_too_long', { max: PASSWORD_MAX_LENGTH }, problems)
    : accountsError('weak_password', {}, problems);
}
