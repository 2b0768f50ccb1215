import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { io, type Socket } from 'socket.io-client';
import { getAccessToken, hasRefreshToken, onAccessToken, refreshSession } from './api';
import { useAuth } from './auth';

export const SOCKET_EVENTS = [
  'chat:message',
  'chat:typing',
  'pet:updated',
  'notification',
  'notification:read',
  'tx:pending',
  'tx:confirmed',
  'tx:failed',
  'intent:updated',
  'system:announcement',
] as const;
export type SocketEvent = (typeof SOCKET_EVENTS)[number];
type Handler = (payload: Record<string, unknown>) => void;

interface SocketState {
  connected: boolean;
  on(event: SocketEvent, handler: Handler): () => void;
}

const SocketContext = createContext<SocketState | null>(null);

/** Which cached lists go stale when an event arrives (the REST lists are the source of truth). */
const INVALIDATES: Partial<Record<SocketEvent, string[][]>> = {
  'pet:updated': [['pets'], ['pet'], ['evolution']],
  notification: [['notifications'], ['unread-count']],
  'notification:read': [['notifications'], ['unread-count']],
  'tx:pending': [['transactions'], ['wallets']],
  'tx:confirmed': [['transactions'], ['wallets'], ['activity']],
  'tx:failed': [['transactions'], ['wallets']],
  'intent:updated': [['intents']],
  'system:announcement': [['notifications'], ['unread-count']],
};

/** One socket per signed-in tab; JWT in auth.token, refreshed when the server refuses an expired one. */
export function SocketProvider({ children }: { children: ReactNode }) {
  const { status } = useAuth();
  const queryClient = useQueryClient();
  const handlers = useRef(new Map<SocketEvent, Set<Handler>>());
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    if (status !== 'signed-in') return;
    const socket: Socket = io({
      path: '/socket.io',
      transports: ['websocket', 'polling'],
      auth: (cb) => cb({ token: getAccessToken() }),
      reconnectionDelayMax: 10_000,
    });
    socket.on('connect', () => {
      setConnected(true);
      void queryClient.invalidateQueries();
    });
    // the server ended this socket's session (token expired or revoked): a new token reconnects it
    // (onAccessToken below); while the server cannot be reached the refresh is tried again, backing off,
    // and given up only once the session is gone (no refresh token left)
    let retry: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const resume = async (delayMs: number) => {
      if ((await refreshSession()) || stopped || !hasRefreshToken() || socket.connected) return;
      retry = setTimeout(() => void resume(Math.min(delayMs * 2, 10_000)), delayMs);
    };
    socket.on('disconnect', (reason) => {
      setConnected(false);
      if (reason === 'io server disconnect') void resume(1000);
    });
    socket.on('connect_error', (err) => {
      setConnected(false);
      const message = String(err?.message ?? '');
      if (/token|auth|expired|unauthor/i.test(message)) void refreshSession();
    });
    for (const event of SOCKET_EVENTS) {
      socket.on(event, (payload: Record<string, unknown>) => {
        for (const key of INVALIDATES[event] ?? []) void queryClient.invalidateQueries({ queryKey: key });
        for (const h of handlers.current.get(event) ?? []) h(payload ?? {});
      });
    }
    socket.on('auth:expired' as never, () => void refreshSession());
    const off = onAccessToken((token) => {
      if (!token) socket.disconnect();
      else if (socket.connected) socket.emit('auth:refresh', { token });
      else socket.connect();
    });
    return () => {
      off();
      stopped = true;
      clearTimeout(retry);
      socket.removeAllListeners();
      socket.disconnect();
      setConnected(false);
    };
  }, [status, queryClient]);

  const on = useCallback((event: SocketEvent, handler: Handler) => {
    const set = handlers.current.get(event) ?? new Set<Handler>();
    set.add(handler);
    handlers.current.set(event, set);
    return () => {
      set.delete(handler);
    };
  }, []);
  const value = useMemo<SocketState>(() => ({ connected, on }), [connected, on]);
  return <SocketContext.Provider value={value}>{children}</SocketContext.Provider>;
}

export function useSocket(): SocketState {
  const ctx = useContext(SocketContext);
  if (!ctx) throw new Error('useSocket outside SocketProvider');
  return ctx;
}

/** Runs handler for every event of that type while the component is mounted. */
export function useSocketEvent(event: SocketEvent, handler: Handler): void {
  const { on } = useSocket();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => on(event, (p) => ref.current(p)), [on, event]);
}
