/** Every socket payload carries the id of what it describes and the time (ISO) it happened. */
export interface SocketPayload {
  id: string;
  at: string;
  [key: string]: unknown;
}

/** The events the server pushes (DESIGN §5), by name. */
export const SERVER_EVENTS = [
  'chat:message',
  'chat:typing',
  'chat:read',
  'chat:deleted',
  'pet:updated',
  'notification',
  'notification:read',
  'tx:pending',
  'tx:confirmed',
  'tx:failed',
  'order:updated',
  'intent:updated',
  'batch:progress',
  'batch:complete',
  'system:announcement',
  'auth:expired',
  'auth:revoked',
] as const;

export type ServerEventName = (typeof SERVER_EVENTS)[number];

export type ServerToClientEvents = { [K in ServerEventName]: (payload: SocketPayload) => void };

export interface JoinRequest {
  room: string;
}

export type Ack = (reply: { ok: true; room?: string; expiresAt?: string } | { ok: false; code: string; message: string }) => void;

export interface ClientToServerEvents {
  /** Joins an extra room (only batch:{id}, and only its owner). */
  join(request: JoinRequest, ack?: Ack): void;
  leave(request: JoinRequest, ack?: Ack): void;
  /** Hands a fresh access token to a live socket so it is not disconnected at the old token's expiry. */
  'auth:refresh'(request: { token: string }, ack?: Ack): void;
}

export interface SocketData {
  userId: string;
  role: 'user' | 'admin';
  /** The sign-in the socket's token belongs to (AuthUser.sessionFamilyId, or the session where there is none). */
  sessionId: string | null;
  /** The session row the socket's token names (what the accounts resolver checks). */
  tokenSessionId: string | null;
  expiresAt: number;
}

export const userRoom = (userId: string) => `user:${userId}`;
export const batchRoom = (batchId: string) => `batch:${batchId}`;
/** Every socket opened with one sign-in, across refreshes: ending it (logout, revocation, password change) disconnects them. */
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;
export const SYSTEM_ROOM = 'system';
