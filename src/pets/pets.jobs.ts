import type { AppDeps } from '../platform/deps.js';

export const STREAK_SWEEP_JOB = 'pets.streak-sweep';

/** Hourly: warns about streaks about to break and writes down the ones that broke. */
export function registerPetJobs(deps: AppDeps): void {
  deps.jobs.register({
    name: STREAK_SWEEP_JOB,
    cron: '5 * * * *',
    retryLimit: 2,
    handler: async () => {
      const result = await deps.services.pets.sweepStreaks();
      deps.logger.info(result, 'streak sweep done');
    },
  });
}
