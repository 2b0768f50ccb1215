import { isIP, isIPv6, type AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { runMigrations } from './platform/db/db.migrate.js';
import { createDeps, type AppDeps } from './platform/deps.js';
import { startInfrastructure, type RunningInfrastructure } from './platform/embedded/embedded.infrastructure.js';
import { StartupError } from './platform/lifecycle/lifecycle.errors.js';
import { checkCanListen, listenError } from './platform/lifecycle/lifecycle.listen.js';
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

/** Where the server listens, as a URL to open: the port it got (PORT may be 0), and localhost when HOST is every interface. */
function listeningUrl(address: AddressInfo | string | null, host: string): string {
  if (!address || typeof address === 'string') return String(address);
  const shown = ['0.0.0.0', '::'].includes(host) ? 'localhost' : isIP(host) ? address.address : host;
  return `http://${isIPv6(shown) ? `[${shown}]` : shown}:${address.port}`;
}

/** One line for a failed start: the operator's `streakpets: …` for a StartupError, else a `start-up failed` log line. */
function reportStartupFailure(err: unknown, logger: Logger): void {
  if (err instanceof StartupError) process.stderr.write(`streakpets: ${err.message}\n`);
  else logger.fatal({ err }, 'start-up failed');
}

/** Starts StreakPets: settings → embedded services if needed → migrations → app, jobs, events → listen. */
async function main(): Promise<void> {
  const started = performance.now();
  const config = readConfig();
  const logger = createLogger(config.LOG_LEVEL, undefined, configuredSecrets(config));
  let infra: RunningInfrastructure | null = null;
  let deps: AppDeps | null = null;
  let closing: Promise<void> | null = null;
  try {
    await checkCanListen(config.PORT, config.HOST);
    infra = await startInfrastructure(config, logger, { server: true });
    deps = createDeps(config, infra, logger);
    const { applied } = await runMigrations(deps.pool);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const serveApi = config.ROLE !== 'worker';
    const app = await buildApp(deps, { routes: serveApi });
    await deps.jobs.start({ work: config.ROLE !== 'api' });
    deps.events.start();
    await app.listen({ port: config.PORT, host: config.HOST }).catch((err: unknown) => {
      throw listenError(err, config.PORT, config.HOST);
    });
    const services = { deps, infra };

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
        await services.deps.close();
        await services.infra.stop();
        logger.info('stopped');
        clearTimeout(force);
        process.exit(0);
      })();
    };
    // before the ready line: whoever waits for it may signal at once, and a signal with no listener kills
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    logger.info(
      { role: config.ROLE, url: listeningUrl(app.server.address(), config.HOST), readyMs: Math.round(performance.now() - started) },
      'StreakPets is ready',
    );
  } catch (err) {
    reportStartupFailure(err, logger);
    await deps?.close().catch(() => undefined);
    await infra?.stop();
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`streakpets: start-up failed: ${(err as Error).message}\n`);
  process.exit(1);
});
