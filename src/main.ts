import { isIP, isIPv6, type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { runMigrations } from './platform/db/db.migrate.js';
import { createDeps, type AppDeps } from './platform/deps.js';
import { startInfrastructure, type RunningInfrastructure } from './platform/embedded/embedded.infrastructure.js';
import { StartupError } from './platform/lifecycle/lifecycle.errors.js';
import { checkCanListen, listenError } from './platform/lifecycle/lifecycle.listen.js';
import { abortOnSignals } from './platform/lifecycle/lifecycle.signals.js';
import { configuredSecrets, createLogger } from './platform/observability/logger.js';

/** How long the embedded services get to stop after a shutdown timed out. */
const STOP_SERVICES_MS = 10_000;

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
  // before anything is started: a signal with no listener kills, leaving the embedded services running
  const stopping = abortOnSignals();
  const { signal } = stopping;
  let infra: RunningInfrastructure | null = null;
  let deps: AppDeps | null = null;
  let app: FastifyInstance | null = null;
  signal.addEventListener('abort', () => {
    logger.info({ signal: stopping.received() }, 'shutting down');
    setTimeout(() => {
      // requests that do not finish must not leave the embedded PostgreSQL and anvil running
      logger.error('shutdown timed out; stopping the embedded services and exiting');
      setTimeout(() => process.exit(1), STOP_SERVICES_MS).unref();
      void (infra?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
  });
  try {
    await checkCanListen(config.PORT, config.HOST);
    infra = await startInfrastructure(config, logger, { server: true, signal });
    deps = createDeps(config, infra, logger);
    const { applied } = await runMigrations(deps.pool);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    signal.throwIfAborted();
    app = await buildApp(deps, { routes: config.ROLE !== 'worker' });
    await deps.jobs.start({ work: config.ROLE !== 'api' });
    deps.events.start();
    signal.throwIfAborted();
    await app.listen({ port: config.PORT, host: config.HOST }).catch((err: unknown) => {
      throw listenError(err, config.PORT, config.HOST);
    });
    signal.throwIfAborted();
  } catch (err) {
    if (!signal.aborted) reportStartupFailure(err, logger);
    await app?.close().catch(() => undefined);
    await deps?.close().catch(() => undefined);
    await infra?.stop();
    if (signal.aborted) logger.info('stopped');
    process.exit(signal.aborted ? 0 : 1);
  }
  const running = { app, deps, infra };
  signal.addEventListener('abort', () => {
    void (async () => {
      await running.app.close();
      await running.deps.close();
      await running.infra.stop();
      logger.info('stopped');
      process.exit(0);
    })();
  });
  logger.info(
    { role: config.ROLE, url: listeningUrl(app.server.address(), config.HOST), readyMs: Math.round(performance.now() - started) },
    'StreakPets is ready',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`streakpets: start-up failed: ${(err as Error).message}\n`);
  process.exit(1);
});
