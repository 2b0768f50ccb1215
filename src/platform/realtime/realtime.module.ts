import type { DomainModule } from '../modules.js';
import { RealtimeHub } from './realtime.hub.js';
import { realtimeSubscriber } from './realtime.subscriber.js';

declare module '../modules.js' {
  interface Services {
    realtime: RealtimeHub;
  }
}

/**
 * Realtime: every node builds a hub and pushes domain events after commit (a worker-only node emits
 * through the Redis adapter); API nodes also accept sockets on their HTTP server at /socket.io.
 */
export const realtimeModule: DomainModule = {
  name: 'realtime',
  setup(deps) {
    const hub = new RealtimeHub(deps);
    deps.services.realtime = hub;
    deps.events.subscribe(realtimeSubscriber(hub));
    // the database tells every node, so each one checks only the sockets it holds
    deps.services.watchUsers?.((userIds) => void hub.recheckUsers(userIds));
    const closeDeps = deps.close.bind(deps);
    deps.close = async () => {
      await hub.close();
      await closeDeps();
    };
  },
  routes(app, deps) {
    const hub = deps.services.realtime;
    hub.attach(app.server);
    app.addHook('preClose', async () => hub.close());
  },
};
