import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/** How long a rate-limit or cache command may take before it fails (and the request goes on without it). */
export const REDIS_COMMAND_TIMEOUT_MS = 500;

/**
 * The request path's client (rate-limit counters, cache) fails fast: while Redis is unreachable a
 * command is refused at once instead of waiting in the offline queue through reconnect attempts,
 * and one on a connection that stopped answering gives up after REDIS_COMMAND_TIMEOUT_MS. Callers
 * fall back (the rate limiter counts in the node's memory), so requests go on without Redis.
 */
const requestPathOptions: RedisOptions = {
  enableOfflineQueue: false,
  commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  maxRetriesPerRequest: 1,
};

/**
 * The Socket.io streams adapter's clients wait for Redis instead: the adapter subscribes and starts
 * reading before the connection is up, re-polls at once when a read fails (an offline queue that
 * refused would make that a busy loop), and blocks in XREAD longer than any command timeout.
 */
const adapterOptions: RedisOptions = {
  enableOfflineQueue: true,
  commandTimeout: undefined,
  maxRetriesPerRequest: 2,
};

/** Opens the request path's Redis client (fail fast, see requestPathOptions); errors are logged, never thrown. */
export function openRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, requestPathOptions);
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
  return redis;
}

/** A client on the same server for the Socket.io adapter: queues through reconnects, no command timeout. */
export function duplicateForAdapter(redis: Redis): Redis {
  return redis.duplicate(adapterOptions);
}
