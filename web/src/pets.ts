import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api } from './api';
import { listOf, normalizePet, type Pet } from './model';

const PET_KEY = 'streakpets.petId';

export function usePets() {
  return useQuery({
    queryKey: ['pets'],
    queryFn: async () => listOf(await api('/pets'), 'pets').items.map(normalizePet),
  });
}

/** The pet the user is looking at: remembered per browser, defaulting to the first one. */
export function useSelectedPet(): { pets: Pet[] | undefined; pet: Pet | null; select(id: string): void; query: ReturnType<typeof usePets> } {
  const query = usePets();
  const [id, setId] = useState<string | null>(() => localStorage.getItem(PET_KEY));
  useEffect(() => {
    const onStorage = (e: StorageEvent) => e.key === PET_KEY && setId(e.newValue);
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);
  const pets = query.data;
  const pet = pets?.find((p) => p.id === id) ?? pets?.[0] ?? null;
  return {
    pets,
    pet,
    query,
    select(next) {
      localStorage.setItem(PET_KEY, next);
      setId(next);
    },
  };
}

/**
 * The name inputs' maxLength. It counts UTF-16 code units, while the API allows 40 user-perceived
 * characters (an accented letter or a family emoji is one) within 400 code units; so typing is bounded
 * at that cap and the API answers a name that is too long.
 */
export const PET_NAME_INPUT_MAX = 400;
