import type { EventSubscriber } from '../platform/events/events.bus.js';
import { PRODUCERS } from './notifications.producers.js';
import type { NotificationsService } from './notifications.service.js';

/** Turns domain events into stored, localized notifications (and announcements into one per user). */
export function notificationsSubscriber(service: NotificationsService): EventSubscriber {
  return {
    name: 'notifications',
    types: [...Object.keys(PRODUCERS), 'system.announcement'],
    async handle(event, trx) {
      if (event.type === 'system.announcement') {
        await service.deliverAnnouncement(trx, event as Parameters<NotificationsService['deliverAnnouncement']>[1]);
        return;
      }
      const drafts = PRODUCERS[event.type]?.(event) ?? [];
      if (drafts.length) await service.deliver(trx, event, drafts);
    },
  };
}
