import type { DomainModule } from './platform/modules.js';
import { activityModule } from './activity/activity.module.js';
import { notificationsModule } from './notifications/notifications.module.js';
import { realtimeModule } from './platform/realtime/realtime.module.js';

/** Every domain, in the order their setup runs (a domain comes after those whose services it uses). */
export const domainModules: DomainModule[] = [realtimeModule, activityModule, notificationsModule];
