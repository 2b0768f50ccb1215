import { loadConfig } from '../../config.js';
import { readFlags } from '../cli/cli.args.js';
import { failureLine } from '../cli/cli.failure.js';
import { startInfrastructure } from '../embedded/embedded.infrastructure.js';
import { abortOnSignals, signalExitCode } from '../lifecycle/lifecycle.signals.js';
import { configuredSecrets, createLogger } from '../observability/logger.js';
import { runMigrations } from './db.migrate.js';
import { openDatabase } from './db.pool.js';

const USAGE = `usage: npm run migrate
  applies pending migrations to DATABASE_URL (or the embedded database under DATA_DIR) and exits
  -h, --help  show this and apply nothing`;

// a signal while the embedded services start stops them; once they run, the migrations finish and they are stopped
const stopping = abortOnSignals();

/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database) and exits. */
async function migrate(argv: string[]): Promise<void> {
  const flags = readFlags(argv, {}, USAGE);
  if (typeof flags === 'number') {
    process.exitCode = flags;
    return;
  }
  const config = loadConfig(process.env, []);
  const logger = createLogger(config.LOG_LEVEL, undefined, configuredSecrets(config));
  const infra = await startInfrastructure({ ...config, CHAIN_RPC_URL: config.CHAIN_RPC_URL ?? 'http://127.0.0.1:1' }, logger, { signal: stopping.signal });
  const { pool, close } = openDatabase(infra.databaseUrl, 2);
  try {
    const { applied } = await runMigrations(pool);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
  } finally {
    await close();
    await infra.stop();
  }
}

migrate(process.argv.slice(2)).catch((err) => {
  const signal = stopping.received();
  process.stderr.write(signal ? 'streakpets: interrupted\n' : `${failureLine(err)}\n`);
  process.exit(signal ? signalExitCode(signal) : 1);
});
