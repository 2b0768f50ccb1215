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
