import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { runMigrations } from './platform/db/db.migrate.js';
import { createDeps } from './platform/deps.js';
import { startInfrastructure } from './platform/embedded/embedded.infrastructure.js';
import { configuredSecrets, createLogger } from './platform/observability/logger.js';

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`streakpets: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** Starts StreakPets: settings → embedded services if needed → migrations → app, jobs, events → listen. */
async function main(): Promise<void> {
  const started = performance.now();
  const config = readConfig();
  const logger = createLogger(config.LOG_LEVEL, undefined, configuredSecrets(config));
  const infra = await startInfrastructure(config, logger);
  let closing: Promise<void> | null = null;
  const deps = createDeps(config, infra, logger);
  try {
    const { applied } = await runMigrations(deps.pool);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const serveApi = config.ROLE !== 'worker';
    const app = await buildApp(deps, { routes: serveApi });
    await deps.jobs.start({ work: config.ROLE !== 'api' });
    deps.events.start();
    await app.listen({ port: config.PORT, host: config.HOST });

    const shutdown = (signal: string) => {
      if (closing) return;
      logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => {
        logger.error('shutdown timed out; exiting');
        process.exit(1);
      }, config.SHUTDOWN_TIMEOUT_MS);
      force.unref();
      closing = (async () => {
        await app.close();
        await deps.close();
        await infra.stop();
        logger.info('stopped');
        clearTimeout(force);
        process.exit(0);
      })();
    };
    // before the ready line: whoever waits for it may signal at once, and a signal with no listener kills
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    logger.info(
      { role: config.ROLE, url: `http://localhost:${config.PORT}`, readyMs: Math.round(performance.now() - started) },
      'StreakPets is ready',
    );
  } catch (err) {
    logger.fatal({ err }, 'start-up failed');
    await deps.close().catch(() => undefined);
    await infra.stop();
    process.exit(1);
  }
}

void main();
