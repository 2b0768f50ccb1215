import type { DomainModule } from '../platform/modules.js';
import { notificationEmailRoutes } from './notifications.email.routes.js';
import { EMAIL_JOB } from './notifications.email.service.js';
import { notificationsRoutes } from './notifications.routes.js';
import { ANNOUNCE_JOB, NotificationsService, type AnnouncementFanOut } from './notifications.service.js';
import { notificationsSubscriber } from './notifications.subscriber.js';

declare module '../platform/modules.js' {
  interface Services {
    notifications: NotificationsService;
  }
}

/** Notifications: produced from domain events, stored per user in their locale, pushed live, mailed where chosen, purged when expired. */
export const notificationsModule: DomainModule = {
  name: 'notifications',
  setup(deps) {
    const service = new NotificationsService(deps);
    deps.services.notifications = service;
    deps.events.subscribe(notificationsSubscriber(service, deps.jobs));
    deps.events.subscribe({ name: 'notifications.erase-deleted-account', types: ['account.deleted'], handle: (event, trx) => service.eraseUser(trx, (event.data as { userId: string }).userId) });
    deps.jobs.register<AnnouncementFanOut>({
      name: ANNOUNCE_JOB,
      retryLimit: 10,
      expireInSeconds: 3600,
      handler: async (data) => {
        const stored = await service.fanOutAnnouncement(data);
        deps.logger.info({ announcementId: data.announcementId, stored }, 'announcement stored for every user');
      },
    });
    deps.jobs.register<{ notificationId: string }>({
      name: EMAIL_JOB,
      retryLimit: 8,
      retryDelaySeconds: 30,
      handler: async ({ notificationId }) => service.emails.send(notificationId),
    });
    deps.jobs.register({
      name: 'notifications.purge-expired',
      cron: '41 * * * *',
      handler: async () => {
        const purged = await service.purgeExpired();
        if (purged) deps.logger.info({ purged }, 'expired notifications purged');
      },
    });
  },
  routes(app, deps) {
    notificationsRoutes(app, deps);
    notificationEmailRoutes(app, deps);
  },
};
