import { describe, expect, it } from 'vitest';
import { canAdoptAnother, MAX_PETS } from '../../web/src/petLimit.js';
import { MAX_PETS_PER_USER } from '../pets/pets.rules.js';

describe('the pet limit in the web app', () => {
  it('is the server’s', () => {
    expect(MAX_PETS).toBe(MAX_PETS_PER_USER);
  });

  it('offers another pet only below it', () => {
    expect(canAdoptAnother(1)).toBe(true);
    expect(canAdoptAnother(MAX_PETS - 1)).toBe(true);
    expect(canAdoptAnother(MAX_PETS)).toBe(false);
  });
});
