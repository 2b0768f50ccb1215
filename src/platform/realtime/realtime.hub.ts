import type { Server as HttpServer } from 'node:http';
import { Redis } from 'ioredis';
import { Server, type Socket } from 'socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { duplicateForAdapter } from '../redis/redis.client.js';
import { resumeStreamReads } from './realtime.streams.js';
import { settlePubSub } from './realtime.pubsub.js';
import type { AppDeps } from '../deps.js';
import { originAllowed } from '../http/http.cors.js';
import { trustsPeer } from '../http/http.proxy.js';
import { afterCommit, type Executor } from '../db/db.transaction.js';
import { HandshakeError, socketStillLive, verifySocketToken } from './realtime.auth.js';
import {
  SYSTEM_ROOM,
  batchRoom,
  sessionRoom,
  userRoom,
  type Ack,
  type ClientToServerEvents,
  type ServerEventName,
  type ServerToClientEvents,
  type SocketData,
  type SocketPayload,
} from './realtime.events.js';

/** Decides whether a user may join a batch's room; the bulk-payouts domain plugs its ownership rule in. */
export type BatchAccess = (userId: string, batchId: string) => Promise<boolean>;

type IoServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type IoSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_TIMER_MS = 2_147_000_000;

/**
 * The Socket.io server of one node. API nodes attach it to their HTTP server; every node (worker-only
 * ones too) can emit, and with Redis the streams adapter fans each emit out to the nodes holding the sockets.
 */
export class RealtimeHub {
  readonly io: IoServer;
  private batchAccess: BatchAccess = async () => false;
  private readonly redisClients: Redis[] = [];
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();
  private attached = false;
  private closed = false;

  constructor(private readonly deps: AppDeps) {
    const origins = deps.config.CORS_ORIGINS;
    // the app's public address counts as its own origin even when a proxy in front rewrote the Host and sent no X-Forwarded-*
    const pageOrigins = deps.config.PUBLIC_URL ? [...origins, new URL(deps.config.PUBLIC_URL).origin] : origins;
    const trusted = trustsPeer(deps.config.TRUST_PROXY);
    this.io = new Server({
      path: '/socket.io',
      serveClient: false,
      cors: origins.length ? { origin: origins, credentials: true } : undefined,
      // CORS headers do not hold back a WebSocket: a page of another origin is refused here, on both transports
      allowRequest: (req, done) => {
        const allowed = originAllowed(req, pageOrigins, trusted);
        done(allowed ? null : 'origin_forbidden', allowed);
      },
      pingInterval: 25_000,
      pingTimeout: 20_000,
    });
    if (deps.redis) this.io.adapter(this.redisAdapter(deps.redis));
    this.io.use((socket, next) => {
      this.authenticate(socket).then(() => next(), (err: Error) => next(err));
    });
    this.io.on('connection', (socket) => this.onConnection(socket));
  }

  /** Accepts socket connections on this HTTP server (API nodes only). */
  attach(server: HttpServer): void {
    if (this.attached) return;
    this.io.attach(server);
    this.attached = true;
  }

  /** Installs the rule deciding who may join batch:{id}. */
  setBatchAccess(check: BatchAccess): void {
    this.batchAccess = check;
  }

  /**
   * Whether an emit to the room can reach a socket: always with Redis (other nodes' sockets are not
   * known here), otherwise only while a socket of this node is in it.
   */
  reaches(room: string): boolean {
    return !!this.deps.redis || this.io.of('/').adapter.rooms.has(room);
  }

  /** Emits to rooms now (on every node through the adapter); rooms no socket can hear are skipped. Payloads always carry id and at. */
  emit(rooms: string | string[], event: ServerEventName, payload: SocketPayload): void {
    const targets = (Array.isArray(rooms) ? rooms : [rooms]).filter((room) => room && this.reaches(room));
    if (this.closed || targets.length === 0) return;
    this.io.to(targets).emit(event, payload);
  }

  /** Emits once the outermost transaction commits; nothing is emitted for a rolled-back change. */
  emitAfterCommit(trx: Executor, rooms: string | string[], event: ServerEventName, payload: SocketPayload): void {
    afterCommit(trx, () => this.emit(rooms, event, payload));
  }

  /** After commit, tells every socket of a revoked session (on any node) why, then disconnects it. */
  revokeSessionAfterCommit(trx: Executor, sessionId: string, payload: SocketPayload): void {
    afterCommit(trx, () => {
      if (this.closed) return;
      this.io.to(sessionRoom(sessionId)).emit('auth:revoked', payload);
      this.io.in(sessionRoom(sessionId)).disconnectSockets(true);
    });
  }

  /**
   * The database said these users changed (or, with 'everyone', that its notices may have been lost):
   * asks again whether each of their sockets on this node is live, and tells those of a disabled or
   * deleted user why (`auth:revoked`) before disconnecting them. A socket whose check fails is
   * disconnected without a reason: its reconnection's handshake decides.
   */
  async recheckUsers(userIds: string[] | 'everyone'): Promise<void> {
    if (this.closed) return;
    const nsp = this.io.of('/');
    const sockets =
      userIds === 'everyone'
        ? [...nsp.sockets.values()]
        : userIds
            .flatMap((userId) => [...(nsp.adapter.rooms.get(userRoom(userId)) ?? [])])
            .map((socketId) => nsp.sockets.get(socketId))
            .filter((socket): socket is IoSocket => !!socket);
    await Promise.all(
      sockets.map(async (socket) => {
        try {
          if (await socketStillLive(this.deps, socket)) return;
          socket.emit('auth:revoked', { id: socket.id, at: new Date().toISOString(), reason: 'account_inactive' });
        } catch (err) {
          this.deps.logger.warn({ err, userId: socket.data.userId }, 'socket liveness check failed; disconnecting it');
        }
        socket.disconnect(true);
      }),
    );
  }

  /** Sockets connected to this node. */
  get localConnections(): number {
    return this.io.of('/').sockets.size;
  }

  /**
   * Drops this node's connections and closes the adapter; the HTTP server itself is Fastify's to close.
   * The connections are closed under the sockets (clients see 'transport close' and reconnect by
   * themselves, to another node or to this one restarted), never with a server disconnect, which tells
   * a client its session ended and must not be retried.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.expiryTimers.values()) clearTimeout(timer);
    this.expiryTimers.clear();
    for (const socket of this.io.of('/').sockets.values()) socket.conn.close();
    if (this.attached) this.io.engine.close();
    await Promise.allSettled([...this.io._nsps.values()].map((nsp) => nsp.adapter.close()));
    for (const client of this.redisClients) client.disconnect();
  }

  private redisAdapter(redis: Redis) {
    const prefix = this.deps.config.REALTIME_REDIS_PREFIX ?? `${this.deps.config.REDIS_PREFIX}:sio`;
    const publisher = duplicateForAdapter(redis);
    publisher.on('error', () => undefined);
    settlePubSub(publisher);
    this.redisClients.push(publisher);
    const clients = this.redisClients;
    // the adapter duplicates its client for blocking reads and for its subscriptions: keep those too so close()
    // can end them, make their reads resume, and their subscriptions survive a Redis that is not up yet
    publisher.duplicate = function duplicate(this: Redis, override?: Partial<Redis['options']>) {
      const copy = Redis.prototype.duplicate.call(this, override);
      resumeStreamReads(copy);
      settlePubSub(copy);
      clients.push(copy);
      return copy;
    } as Redis['duplicate'];
    return createAdapter(publisher, {
      streamName: `${prefix}:stream`,
      channelPrefix: prefix,
      sessionKeyPrefix: `${prefix}:session:`,
      blockTimeInMs: 1000,
      onlyPlaintext: true,
    });
  }

  private async authenticate(socket: IoSocket): Promise<void> {
    let user: Awaited<ReturnType<typeof verifySocketToken>>;
    try {
      user = await verifySocketToken(this.deps, socket, socket.handshake.auth?.token);
    } catch (err) {
      if (err instanceof HandshakeError) throw err;
      // an internal failure (database down…) is logged, never shown to the client
      this.deps.logger.error({ err }, 'socket handshake failed');
      throw new HandshakeError('unavailable', 'en');
    }
    socket.data = {
      userId: user.id,
      role: user.role,
      sessionId: user.sessionFamilyId ?? user.sessionId,
      tokenSessionId: user.sessionId ?? null,
      expiresAt: user.expiresAt.getTime(),
    };
  }

  private onConnection(socket: IoSocket): void {
    const rooms = [userRoom(socket.data.userId), SYSTEM_ROOM];
    if (socket.data.sessionId) rooms.push(sessionRoom(socket.data.sessionId));
    void socket.join(rooms);
    this.scheduleExpiry(socket);
    socket.on('disconnect', () => {
      clearTimeout(this.expiryTimers.get(socket.id));
      this.expiryTimers.delete(socket.id);
    });
    socket.on('join', (...args: unknown[]) => void this.onJoin(socket, ...requestAndAck<{ room?: unknown }>(args)));
    socket.on('leave', (...args: unknown[]) => {
      const [request, ack] = requestAndAck<{ room?: unknown }>(args);
      const room = typeof request?.room === 'string' ? request.room : '';
      if (!room.startsWith('batch:')) {
        reply(ack, { ok: false, code: 'room_invalid', message: 'only batch:{id} rooms can be left' });
        return;
      }
      void socket.leave(room);
      reply(ack, { ok: true, room });
    });
    socket.on('auth:refresh', (...args: unknown[]) => void this.onRefresh(socket, ...requestAndAck<{ token?: unknown }>(args)));
  }

  private scheduleExpiry(socket: IoSocket): void {
    clearTimeout(this.expiryTimers.get(socket.id));
    const ms = Math.min(Math.max(0, socket.data.expiresAt - Date.now()), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      this.expiryTimers.delete(socket.id);
      socket.emit('auth:expired', { id: socket.id, at: new Date().toISOString() });
      socket.disconnect(true);
    }, ms);
    timer.unref();
    this.expiryTimers.set(socket.id, timer);
  }

  private async onJoin(socket: IoSocket, request: { room?: unknown } | undefined, ack?: Ack): Promise<void> {
    const room = typeof request?.room === 'string' ? request.room : '';
    const batchId = room.startsWith('batch:') ? room.slice('batch:'.length) : '';
    if (!UUID.test(batchId)) {
      reply(ack, { ok: false, code: 'room_invalid', message: 'only batch:{id} rooms can be joined' });
      return;
    }
    let allowed = false;
    try {
      allowed = await this.batchAccess(socket.data.userId, batchId);
    } catch (err) {
      this.deps.logger.warn({ err, batchId }, 'batch access check failed');
    }
    if (!allowed) {
      reply(ack, { ok: false, code: 'forbidden', message: 'this batch is not yours' });
      return;
    }
    await socket.join(batchRoom(batchId));
    reply(ack, { ok: true, room: batchRoom(batchId) });
  }

  private async onRefresh(socket: IoSocket, request: { token?: unknown } | undefined, ack?: Ack): Promise<void> {
    try {
      const user = await verifySocketToken(this.deps, socket as Socket, request?.token);
      if (user.id !== socket.data.userId) {
        reply(ack, { ok: false, code: 'forbidden', message: 'the token belongs to another user' });
        return;
      }
      socket.data.expiresAt = user.expiresAt.getTime();
      const signIn = user.sessionFamilyId ?? user.sessionId;
      if (socket.data.sessionId !== signIn) {
        if (socket.data.sessionId) void socket.leave(sessionRoom(socket.data.sessionId));
        if (signIn) void socket.join(sessionRoom(signIn));
      }
      socket.data.sessionId = signIn;
      socket.data.tokenSessionId = user.sessionId ?? null;
      this.scheduleExpiry(socket);
      reply(ack, { ok: true, expiresAt: user.expiresAt.toISOString() });
    } catch (err) {
      reply(ack, { ok: false, code: (err as Error).message, message: 'token refused' });
    }
  }
}

/** A client that sends no payload gets its acknowledgement callback as the first argument. */
function requestAndAck<T>(args: unknown[]): [T | undefined, Ack | undefined] {
  if (typeof args[0] === 'function') return [undefined, args[0] as Ack];
  return [args[0] as T | undefined, typeof args[1] === 'function' ? (args[1] as Ack) : undefined];
}

function reply(ack: Ack | undefined, value: Parameters<Ack>[0]): void {
  if (typeof ack === 'function') ack(value);
}
