import type { EventSubscriber, DomainEvent } from '../events/events.bus.js';
import type { RealtimeHub } from './realtime.hub.js';
import { SYSTEM_ROOM, batchRoom, userRoom, type ServerEventName } from './realtime.events.js';

interface Route {
  event: ServerEventName;
  /** Extra rooms besides the users the event names. */
  rooms?: (e: DomainEvent) => string[];
  /** Everyone hears it (the system room) instead of the users the event names. */
  toSystem?: boolean;
}

const txRooms = (e: DomainEvent) => {
  const d = e.data as { fromUserId?: string | null; toUserId?: string | null };
  return [d.fromUserId, d.toUserId].filter((id): id is string => typeof id === 'string').map(userRoom);
};
const batchRooms = (e: DomainEvent) => {
  const id = (e.data as { batchId?: unknown }).batchId;
  return typeof id === 'string' ? [batchRoom(id)] : [];
};

/** Which socket event each domain event becomes (DESIGN §5). Unlisted types are not pushed. */
export const SOCKET_ROUTES: Record<string, Route> = {
  'chat.message_created': { event: 'chat:message' },
  'chat.typing': { event: 'chat:typing' },
  'chat.messages_read': { event: 'chat:read' },
  'chat.messages_deleted': { event: 'chat:deleted' },
  'pet.created': { event: 'pet:updated' },
  'pet.updated': { event: 'pet:updated' },
  'pet.deleted': { event: 'pet:updated' },
  'pet.interacted': { event: 'pet:updated' },
  'pet.evolved': { event: 'pet:updated' },
  'pet.vacation_started': { event: 'pet:updated' },
  'pet.streak_at_risk': { event: 'pet:updated' },
  'pet.streak_lost': { event: 'pet:updated' },
  'transfer.queued': { event: 'tx:pending', rooms: txRooms },
  'transfer.pending': { event: 'tx:pending', rooms: txRooms },
  'transfer.confirmed': { event: 'tx:confirmed', rooms: txRooms },
  'transfer.failed': { event: 'tx:failed', rooms: txRooms },
  'intent.created': { event: 'intent:updated' },
  'intent.updated': { event: 'intent:updated' },
  'order.updated': { event: 'order:updated' },
  'order.completed': { event: 'order:updated' },
  'batch.progress': { event: 'batch:progress', rooms: batchRooms },
  'batch.completed': { event: 'batch:complete', rooms: batchRooms },
  'notification.read': { event: 'notification:read' },
  'system.announcement': { event: 'system:announcement', toSystem: true },
};

/** Events that end a session: its live sockets are told (`auth:revoked`) and disconnected. */
const SESSION_ENDS = ['auth.session_revoked', 'auth.logged_out'];

/** The socket payload of a domain event: id and at, what changed, and its data. */
export function socketPayload(e: DomainEvent) {
  return { ...(e.data as object), id: e.id, at: e.createdAt.toISOString(), event: e.type, petId: e.petId };
}

/**
 * Pushes domain events to the users they concern, after the dispatcher's transaction commits.
 * Notifications (`notification`) are pushed by the notifications subscriber, which knows the stored row.
 */
export function realtimeSubscriber(hub: RealtimeHub): EventSubscriber {
  return {
    name: 'realtime',
    types: [...Object.keys(SOCKET_ROUTES), ...SESSION_ENDS],
    async handle(event, trx) {
      if (SESSION_ENDS.includes(event.type)) {
        const sessionId = (event.data as { sessionId?: unknown }).sessionId;
        if (typeof sessionId === 'string') hub.revokeSessionAfterCommit(trx, sessionId, socketPayload(event));
        return;
      }
      const route = SOCKET_ROUTES[event.type];
      if (!route) return;
      const rooms = route.toSystem
        ? [SYSTEM_ROOM]
        : [...new Set([...event.userIds.map(userRoom), ...(route.rooms?.(event) ?? [])])];
      hub.emitAfterCommit(trx, rooms, route.event, socketPayload(event));
    },
  };
}
