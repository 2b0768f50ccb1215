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

/**
 * Counts in Redis, shared by every node; a count Redis cannot answer (down, or silent past the
 * command timeout) is made in this process instead, so while Redis is unreachable each node still
 * enforces the limits on its own rather than none.
 */
class SharedOrLocalStore {
  constructor(
    private readonly shared: LibraryStore,
    private readonly local: LibraryStore,
  ) {}

  incr(key: string, callback: Callback, timeWindow: number, max: number): void {
    this.shared.incr(key, (err, counted) => (err ? this.local.incr(key, callback, timeWindow, max) : callback(null, counted)), timeWindow, max);
  }

  read(key: string, callback: Callback, timeWindow: number, max: number): void {
    this.shared.read(key, (err, counted) => (err ? this.local.read(key, callback, timeWindow, max) : callback(null, counted)), timeWindow, max);
  }

  child(routeOptions: unknown): SharedOrLocalStore {
    return new SharedOrLocalStore(this.shared.child(routeOptions), this.local.child(routeOptions));
  }
}

/**
 * A rate-limit store class for @fastify/rate-limit: Redis-backed under nameSpace, per-process while
 * Redis fails. Fixed windows, as the app's limits use them (neither continueExceeding nor backoff).
 */
export function sharedOrLocalStore(redis: Redis, nameSpace: string): FastifyRateLimitStoreCtor {
  return class extends SharedOrLocalStore {
    constructor() {
      super(new RedisStore(false, false, redis, nameSpace), new LocalStore(false, false));
    }
  };
}
