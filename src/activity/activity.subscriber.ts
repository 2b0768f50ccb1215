import type { Logger } from 'pino';
import type { EventSubscriber } from '../platform/events/events.bus.js';
import { toActivity } from './activity.mapping.js';
import { activityRepo } from './activity.repo.js';

/**
 * The one place activity is logged: every domain event becomes log rows. The insert runs in its own
 * savepoint (one insert per dispatch batch) and a failure is only reported, so logging never fails the action or the event's other subscribers.
 */
export function activitySubscriber(logger: Logger): EventSubscriber {
  return {
    name: 'activity',
    types: '*',
    async handle(event, trx) {
      const rows = toActivity(event);
      if (!rows.length) return;
      try {
        await activityRepo.insertIsolated(trx, rows);
      } catch (err) {
        logger.error({ err, eventId: event.id, type: event.type }, 'activity log write failed');
      }
    },
    async handleBatch(events, trx) {
      const rows = events.flatMap(toActivity);
      if (!rows.length) return;
      try {
        await activityRepo.insertIsolated(trx, rows);
      } catch (err) {
        logger.error({ err, events: events.length }, 'activity log write failed for a batch; logging event by event');
        for (const event of events) await this.handle(event, trx);
      }
    },
  };
}
