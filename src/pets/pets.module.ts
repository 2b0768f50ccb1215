import type { DomainModule } from '../platform/modules.js';
import { Clock } from './pets.clock.js';
import { registerPetJobs } from './pets.jobs.js';
import { petsRoutes } from './pets.routes.js';
import { PetsService } from './pets.service.js';

declare module '../platform/modules.js' {
  interface Services {
    pets: PetsService;
  }
}

/** Pets: the service (deps.services.pets, with its clock), the hourly streak sweep and the /pets routes. */
export const petsModule: DomainModule = {
  name: 'pets',
  setup(deps) {
    deps.services.pets = new PetsService(deps, new Clock());
    deps.events.subscribe({ name: 'pets.erase-deleted-account', types: ['account.deleted'], handle: (event, trx) => deps.services.pets.eraseOwner(trx, (event.data as { userId: string }).userId) });
    registerPetJobs(deps);
  },
  routes: petsRoutes,
};
