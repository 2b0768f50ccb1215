import type { AppDeps } from '../platform/deps.js';

export const STREAK_SWEEP_JOB = 'pets.streak-sweep';

/** What one sweep did (PetsService.sweepStreaks). */
export interface SweepResult {
  atRisk: number;
  lost: number;
  needsCare: number;
}

/** A sweep's result as an operator reads it (`npm run pets -- sweep`). */
export function sweepReport(result: SweepResult): string[] {
  return [
    'pet sweep done',
    `  streaks at risk (owner warned): ${result.atRisk}`,
    `  streaks lost (written down):    ${result.lost}`,
    `  pets needing care (owner told): ${result.needsCare}`,
    'the owners get their notifications when a server dispatches the outbox (within a second while one runs on this database)',
  ];
}

/** Hourly: warns about streaks about to break and writes down the ones that broke (an operator runs it now with `npm run pets -- sweep`). */
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
