import { loadConfig } from '../../config.js';
import { runMigrations } from '../db/db.migrate.js';
import { createDeps, type AppDeps } from '../deps.js';
import { startInfrastructure } from '../embedded/embedded.infrastructure.js';
import { configuredSecrets, createLogger } from '../observability/logger.js';

/**
 * Runs an operator command's work on the app's dependencies: DATABASE_URL or the embedded PostgreSQL
 * (used where a running server holds it, else started here), migrated first, with warnings-only logs;
 * everything it started is stopped after, whatever the work did. A signal aborting start-up stops the
 * embedded services it started and throws. The chain is not needed: without CHAIN_RPC_URL none is started.
 */
export async function withCommandDeps<T>(env: NodeJS.ProcessEnv, signal: AbortSignal | undefined, work: (deps: AppDeps) => Promise<T>): Promise<T> {
  const config = loadConfig(env, []);
  const logger = createLogger(config.LOG_LEVEL === 'silent' ? 'silent' : 'warn', undefined, configuredSecrets(config));
  const infra = await startInfrastructure({ ...config, CHAIN_RPC_URL: config.CHAIN_RPC_URL ?? 'http://127.0.0.1:1' }, logger, { signal });
  const deps = createDeps(config, infra, logger);
  try {
    await runMigrations(deps.pool);
    return await work(deps);
  } finally {
    await deps.close();
    await infra.stop();
  }
}
