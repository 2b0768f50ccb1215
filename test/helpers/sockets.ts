import { io as connect, type Socket } from 'socket.io-client';
import type { FastifyInstance } from 'fastify';

/** Starts the app on a free local port and returns its base URL (for real socket clients). */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

export interface TestSocket extends Socket {
  /** Every event received so far, in order. */
  received: Array<{ event: string; payload: any }>;
}

export interface SocketOptions {
  /** The only transport to use (default websocket, as the web app does). */
  transport?: 'websocket' | 'polling';
  /** Headers of the handshake request, e.g. the Origin a browser page would send. */
  headers?: Record<string, string>;
}

/** Opens a socket like a browser tab (websocket transport) and resolves once connected. */
export async function openSocket(baseUrl: string, token: string | undefined, options: SocketOptions = {}): Promise<TestSocket> {
  const socket = connect(baseUrl, {
    path: '/socket.io',
    transports: [options.transport ?? 'websocket'],
    extraHeaders: options.headers,
    auth: token === undefined ? {} : { token },
    reconnection: false,
    forceNew: true,
  }) as TestSocket;
  socket.received = [];
  socket.onAny((event, payload) => socket.received.push({ event, payload }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  return socket;
}

/** The connect_error a refused handshake produces. */
export async function refusal(baseUrl: string, token: string | undefined, options: SocketOptions = {}): Promise<{ message: string; data: any }> {
  try {
    const socket = await openSocket(baseUrl, token, options);
    socket.disconnect();
  } catch (err) {
    return { message: (err as Error).message, data: (err as { data?: unknown }).data };
  }
  throw new Error('the connection was accepted');
}

/** Resolves with the first payload of an event matching the predicate (already received or arriving within timeoutMs). */
export function nextEvent(socket: TestSocket, event: string, match: (payload: any) => boolean = () => true, timeoutMs = 5000): Promise<any> {
  const seen = socket.received.find((r) => r.event === event && match(r.payload));
  if (seen) return Promise.resolve(seen.payload);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const handler = (payload: any) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(payload);
    };
    socket.on(event, handler);
  });
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
