import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { inject } from 'vitest';
import { buildApp, type BuildAppOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createDeps, type AppDeps } from '../../src/platform/deps.js';
import { configuredSecrets, createLogger } from '../../src/platform/observability/logger.js';

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** A fresh database for one test file, cloned from the migrated template (never truncated, never shared). */
export async function createTestDatabase(): Promise<string> {
  const serverUrl = inject('pgServerUrl');
  const template = inject('templateDatabase');
  const name = `sp_t_${template.split('_').pop()}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${template}`);
  } finally {
    await admin.end();
  }
  return withDatabase(serverUrl, name);
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...overrides }, []);
}

export interface TestDepsOptions {
  env?: Record<string, string>;
  databaseUrl?: string;
  /** Another embedded chain than the run's shared anvil. */
  rpcUrl?: string;
  /** Start the job workers (default true). */
  work?: boolean;
  /** Start the outbox dispatcher (default true). */
  dispatch?: boolean;
  /** Where every log line goes (services, jobs and requests alike). */
  logStream?: NodeJS.WritableStream;
}

const secretsByDatabase = new Map<string, { jwtSecret: string; walletMasterKey: string }>();

/** Nodes on one database share their secrets, as a real deployment's nodes do. */
function secretsFor(databaseUrl: string, config: Config) {
  let secrets = secretsByDatabase.get(databaseUrl);
  if (!secrets) {
    secrets = { jwtSecret: randomBytes(32).toString('hex'), walletMasterKey: randomBytes(32).toString('hex') };
    secretsByDatabase.set(databaseUrl, secrets);
  }
  return { jwtSecret: config.JWT_SECRET ?? secrets.jwtSecret, walletMasterKey: config.WALLET_MASTER_KEY ?? secrets.walletMasterKey };
}

/** Real dependencies on a fresh database and the run's anvil chain. */
export async function createTestDeps(options: TestDepsOptions = {}): Promise<AppDeps> {
  const config = testConfig(options.env);
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const logger = createLogger(config.LOG_LEVEL, options.logStream as never, configuredSecrets(config));
  return createDeps(config, { databaseUrl, rpcUrl: options.rpcUrl ?? inject('rpcUrl'), embeddedChain: true, ...secretsFor(databaseUrl, config) }, logger);
}

export interface TestApp {
  app: FastifyInstance;
  deps: AppDeps;
  logs: string[];
  close(): Promise<void>;
}

/** A running app (jobs and dispatcher started) on a fresh database, driven with app.inject(). */
export async function createTestApp(options: TestDepsOptions & Pick<BuildAppOptions, 'modules'> & { captureLogs?: boolean } = {}): Promise<TestApp> {
  const env = options.captureLogs ? { LOG_LEVEL: 'info', ...options.env } : options.env;
  const logs: string[] = [];
  const logStream = options.captureLogs
    ? new Writable({
        write(chunk, _enc, cb) {
          logs.push(String(chunk));
          cb();
        },
      })
    : undefined;
  const deps = await createTestDeps({ ...options, env, logStream });
  const app = await buildApp(deps, { modules: options.modules, logStream });
  await deps.jobs.start({ work: options.work ?? true });
  if (options.dispatch ?? true) deps.events.start(200);
  await app.ready();
  return {
    app,
    deps,
    logs,
    async close() {
      await app.close();
      await deps.close();
    },
  };
}
