import { AppError, type FieldProblem } from '../platform/http/http.errors.js';

/** The wallets domain's error codes and statuses; titles and details live under errors.<code> in locales. */
export const WALLET_ERRORS = {
  wallet_not_found: 404,
  pet_not_found: 404,
  pet_wallet_exists: 409,
  faucet_unavailable: 404,
  faucet_cooldown: 429,
  faucet_limit_exceeded: 422,
  chain_not_configured: 503,
  invalid_amount: 422,
  unsupported_token: 422,
  insufficient_balance: 422,
  daily_limit_exceeded: 422,
  recipient_not_found: 422,
  self_transfer: 422,
  recipient_not_allowed: 422,
  address_checksum: 422,
  transaction_not_found: 404,
  tx_not_on_chain: 422,
  tx_not_yours: 403,
  tx_recorded_by_other: 409,
  basename_invalid: 422,
  basename_reserved: 422,
  basename_taken: 409,
  basename_not_yours: 404,
  basename_already_yours: 422,
  intent_not_found: 404,
  intent_not_open: 409,
  intent_requester_inactive: 409,
  intent_own_request: 403,
  self_request: 422,
} as const;

export type WalletErrorCode = keyof typeof WALLET_ERRORS;

/** Builds an AppError for one of the wallets domain's codes. */
export function walletError(code: WalletErrorCode, params: Record<string, unknown> = {}, errors: FieldProblem[] = []): AppError {
  return new AppError(WALLET_ERRORS[code], code, params, errors);
}
