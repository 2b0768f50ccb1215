import type { DomainModule } from './modules.js';
import { purgeExpiredIdempotencyKeys } from './http/http.idempotency.js';

const DISPATCHED_EVENT_RETENTION_DAYS = 7;

/** Platform housekeeping jobs: expired Idempotency-Keys and old dispatched outbox rows. */
export const platformModule: DomainModule = {
  name: 'platform',
  setup(deps) {
    deps.jobs.register({
      name: 'platform.purge-idempotency-keys',
      cron: '17 * * * *',
      handler: async () => {
        await purgeExpiredIdempotencyKeys(deps.db);
      },
    });
    deps.jobs.register({
      name: 'platform.purge-dispatched-events',
      cron: '23 3 * * *',
      handler: async () => {
        await deps.events.purgeDispatched(DISPATCHED_EVENT_RETENTION_DAYS);
      },
    });
  },
};
