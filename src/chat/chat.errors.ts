import { AppError } from '../platform/http/http.errors.js';

/** The chat domain's error codes (titles and details in locales/*.json under errors.<code>). */
export const CHAT_ERRORS = {
  chat_message_not_found: 404,
  chat_delete_all_required: 422,
} as const;

export function chatError(code: keyof typeof CHAT_ERRORS, params: Record<string, unknown> = {}): AppError {
  return new AppError(CHAT_ERRORS[code], code, params);
}
