import { accountsModule } from './accounts/accounts.module.js';
import { activityModule } from './activity/activity.module.js';
import { chatModule } from './chat/chat.module.js';
import { notificationsModule } from './notifications/notifications.module.js';
import type { DomainModule } from './platform/modules.js';
import { realtimeModule } from './platform/realtime/realtime.module.js';
import { petsModule } from './pets/pets.module.js';
import { walletsModule } from './wallets/wallets.module.js';
import { webModule } from './web/web.module.js';

/** Every domain, in the order their setup runs (a domain comes after those whose services it uses); the web app last. */
export const domainModules: DomainModule[] = [
  accountsModule,
  petsModule,
  chatModule,
  walletsModule,
  realtimeModule,
  activityModule,
  notificationsModule,
  webModule,
];
