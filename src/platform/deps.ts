import type pg from 'pg';
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { connectChain, type ChainHandle } from '../chain/chain.client.js';
import { ChatCommandRegistry } from '../chat/chat.commands.js';
import { openDatabase, type Database } from './db/db.pool.js';
import { Notifier } from './db/db.notify.js';
import { EventBus } from './events/events.bus.js';
import { configuredSecrets } from './observability/logger.js';
import { AccessTokens } from './http/http.auth.js';
import { JobQueue } from './jobs/jobs.queue.js';
import { WorkerRing } from './jobs/jobs.ring.js';
import { openRedis } from './redis/redis.client.js';
import type { Services } from './modules.js';

export interface Infrastructure {
  databaseUrl: string;
  rpcUrl: string;
  embeddedChain: boolean;
  jwtSecret: string;
  walletMasterKey: string;
}

/** Everything a domain needs, built once per process (and once per test app). */
export interface AppDeps {
  config: Config;
  infra: Infrastructure;
  logger: Logger;
  db: Database;
  pool: pg.Pool;
  jobs: JobQueue;
  events: EventBus;
  /** LISTEN/NOTIFY wake-ups between the nodes on this database. */
  notify: Notifier;
  /** The worker nodes on this database (this one while its job workers run): which one takes a wake-up all of them hear. */
  workers: WorkerRing;
  chain: ChainHandle;
  redis: Redis | null;
  tokens: AccessTokens;
  /** Slash commands typed in chat; domains register theirs in setup. */
  commands: ChatCommandRegistry;
  /** Prometheus metrics served at /metrics: the platform's, and gauges domains register in setup. */
  metrics: Registry;
  services: Services;
  close(): Promise<void>;
}

/** Opens connections to PostgreSQL, the job queue, the chain and (when configured) Redis. */
export function createDeps(config: Config, infra: Infrastructure, logger: Logger): AppDeps {
  const { db, pool, close: closeDb } = openDatabase(infra.databaseUrl, config.DB_POOL_MAX);
  const jobs = new JobQueue(infra.databaseUrl, logger.child({ component: 'jobs' }), configuredSecrets(config));
  const events = new EventBus(db, logger.child({ component: 'events' }));
  const notify = new Notifier(infra.databaseUrl, logger.child({ component: 'notify' }));
  const workers = new WorkerRing(notify, db, logger.child({ component: 'workers' }));
  jobs.attach(workers);
  const redis = config.REDIS_URL ? openRedis(config.REDIS_URL, logger) : null;
  return {
    config,
    infra,
    logger,
    db,
    pool,
    jobs,
    events,
    notify,
    workers,
    chain: connectChain(infra.rpcUrl, infra.embeddedChain),
    redis,
    tokens: new AccessTokens(infra.jwtSecret, config.ACCESS_TOKEN_TTL_SECONDS),
    commands: new ChatCommandRegistry(),
    metrics: new Registry(),
    services: {} as Services,
    async close() {
      await events.stop();
      await jobs.stop();
      await notify.close();
      await closeDb();
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
