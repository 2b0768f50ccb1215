import type { DomainModule } from '../platform/modules.js';
import { notificationsRoutes } from './notifications.routes.js';
import { NotificationsService } from './notifications.service.js';
import { notificationsSubscriber } from './notifications.subscriber.js';

declare module '../platform/modules.js' {
  interface Services {
    notifications: NotificationsService;
  }
}

/** Notifications: produced from domain events, stored per user in their locale, pushed live, purged when expired. */
export const notificationsModule: DomainModule = {
  name: 'notifications',
  setup(deps) {
    const service = new NotificationsService(deps);
    deps.services.notifications = service;
    deps.events.subscribe(notificationsSubscriber(service));
    deps.jobs.register({
      name: 'notifications.purge-expired',
      cron: '41 * * * *',
      handler: async () => {
        const purged = await service.purgeExpired();
        if (purged) deps.logger.info({ purged }, 'expired notifications purged');
      },
    });
  },
  routes: notificationsRoutes,
};
