/** How many pets one account may have (MAX_PETS_PER_USER in src/pets/pets.rules.ts; a test keeps them equal). */
export const MAX_PETS = 10;

/** Whether the "adopt another pet" button is offered: the server refuses a pet past the limit. */
export function canAdoptAnother(petCount: number): boolean {
  return petCount < MAX_PETS;
}
