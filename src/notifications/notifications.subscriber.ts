import type { EventSubscriber } from '../platform/events/events.bus.js';
import type { JobQueue } from '../platform/jobs/jobs.queue.js';
import { PRODUCERS } from './notifications.producers.js';
import { ANNOUNCE_JOB, type AnnouncementFanOut, type NotificationsService } from './notifications.service.js';

/** Turns domain events into stored, localized notifications (a dispatch batch at once); an announcement becomes a fan-out job on the same transaction. */
export function notificationsSubscriber(service: NotificationsService, jobs: JobQueue): EventSubscriber {
  return {
    name: 'notifications',
    types: [...Object.keys(PRODUCERS), 'system.announcement'],
    async handle(event, trx) {
      await this.handleBatch!([event], trx);
    },
    async handleBatch(events, trx) {
      const items = [];
      for (const event of events) {
        if (event.type === 'system.announcement') {
          const d = event.data as { announcementId: string; title: string; body: string; priority: string; expiresAt?: string | null };
          const job: AnnouncementFanOut = { eventId: event.id, announcementId: d.announcementId, title: d.title, body: d.body, priority: d.priority, expiresAt: d.expiresAt ?? null, createdAt: event.createdAt.toISOString() };
          await jobs.enqueue(ANNOUNCE_JOB, job, { trx, singletonKey: event.id });
          continue;
        }
        const drafts = PRODUCERS[event.type]?.(event) ?? [];
        if (drafts.length) items.push({ event, drafts });
      }
      if (items.length) await service.deliverMany(trx, items);
    },
  };
}
