import { AppError, type FieldProblem } from '../platform/http/http.errors.js';

/** The pets domain's error codes (titles and details in locales/*.json under errors.<code>). */
export const PET_ERRORS = {
  pet_not_found: 404,
  pet_limit_reached: 409,
  pet_interaction_cooldown: 409,
  pet_too_tired: 409,
  pet_evolution_not_ready: 409,
  /** The pet is at the last stage: there is nothing to evolve into (not the same as requirements unmet). */
  pet_final_stage: 409,
  pet_vacation_active: 409,
  pet_vacation_not_active: 409,
  pet_vacation_too_soon: 409,
  pet_vacation_invalid: 422,
} as const;

export type PetErrorCode = keyof typeof PET_ERRORS;

export function petError(code: PetErrorCode, params: Record<string, unknown> = {}, errors: FieldProblem[] = []): AppError {
  return new AppError(PET_ERRORS[code], code, params, errors);
}
