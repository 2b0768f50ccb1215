import type { DomainModule } from '../platform/modules.js';
import { activityRoutes } from './activity.routes.js';
import { ActivityService } from './activity.service.js';
import { activitySubscriber } from './activity.subscriber.js';

declare module '../platform/modules.js' {
  interface Services {
    activity: ActivityService;
  }
}

/** The activity log: one subscriber records every domain event; a daily job keeps partitions ahead and drops expired ones. */
export const activityModule: DomainModule = {
  name: 'activity',
  async setup(deps) {
    const service = new ActivityService(deps);
    deps.services.activity = service;
    deps.events.subscribe(activitySubscriber(deps.logger.child({ component: 'activity' })));
    deps.events.subscribe({ name: 'activity.erase-deleted-account', types: ['account.deleted'], handle: (event, trx) => service.eraseUser(trx, (event.data as { userId: string }).userId) });
    await service.ensurePartitions();
    deps.jobs.register({
      name: 'activity.maintain-partitions',
      cron: '7 0 * * *',
      handler: async () => {
        const created = await service.ensurePartitions();
        const purged = await service.purgeExpired();
        deps.logger.info({ created, ...purged }, 'activity partitions maintained');
      },
    });
  },
  routes: activityRoutes,
};
