import { createRequire } from 'node:module';
import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';

type Counted = { current: number; ttl: number };
type Callback = (error: Error | null, result?: Counted) => void;
type Count = (key: string, callback: Callback, timeWindow: number, max: number) => void;

/** The shape of the stores @fastify/rate-limit ships (its RedisStore and LocalStore). */
interface LibraryStore {
  incr: Count;
  read: Count;
  child(routeOptions: unknown): LibraryStore;
}
type LibraryStoreCtor<Rest extends unknown[]> = new (continueExceeding: boolean, exponentialBackoff: boolean, ...rest: Rest) => LibraryStore;

const load = createRequire(import.meta.url);
const RedisStore = load('@fastify/rate-limit/store/RedisStore.js') as LibraryStoreCtor<[Redis, string]>;
const LocalStore = load('@fastify/rate-limit/store/LocalStore.js') as LibraryStoreCtor<[]>;

/** After Redis failed a count, how long every route counts locally before Redis is asked again. */
export const REDIS_RETRY_AFTER_MS = 5_000;

/** Shared by a store and its per-route children: until when Redis is left alone after a failure. */
interface Breaker {
  openUntil: number;
}

/**
 * Counts in Redis, shared by every node; a count Redis cannot answer (down, or silent past the
 * command timeout) is made in this process instead, so while Redis is unreachable each node still
 * enforces the limits on its own rather than none. After a failure Redis is not asked for
 * REDIS_RETRY_AFTER_MS, so a Redis that hangs costs one request the command timeout, not every one.
 */
class SharedOrLocalStore {
  constructor(
    private readonly shared: LibraryStore,
    private readonly local: LibraryStore,
    private readonly breaker: Breaker,
  ) {}

  incr(key: string, callback: Callback, timeWindow: number, max: number): void {
    this.count('incr', key, callback, timeWindow, max);
  }

  read(key: string, callback: Callback, timeWindow: number, max: number): void {
    this.count('read', key, callback, timeWindow, max);
  }

  private count(method: 'incr' | 'read', key: string, callback: Callback, timeWindow: number, max: number): void {
    if (Date.now() < this.breaker.openUntil) return this.local[method](key, callback, timeWindow, max);
    this.shared[method](
      key,
      (err, counted) => {
        if (!err) return callback(null, counted);
        this.breaker.openUntil = Date.now() + REDIS_RETRY_AFTER_MS;
        this.local[method](key, callback, timeWindow, max);
      },
      timeWindow,
      max,
    );
  }

  child(routeOptions: unknown): SharedOrLocalStore {
    return new SharedOrLocalStore(this.shared.child(routeOptions), this.local.child(routeOptions), this.breaker);
  }
}

/**
 * A rate-limit store class for @fastify/rate-limit: Redis-backed under nameSpace, per-process while
 * Redis fails. Fixed windows, as the app's limits use them (neither continueExceeding nor backoff).
 */
export function sharedOrLocalStore(redis: Redis, nameSpace: string): FastifyRateLimitStoreCtor {
  return class extends SharedOrLocalStore {
    constructor() {
      super(new RedisStore(false, false, redis, nameSpace), new LocalStore(false, false), { openUntil: 0 });
    }
  };
}
