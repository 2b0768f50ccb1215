import { mkdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Infrastructure } from '../deps.js';
import { startAnvil } from './embedded.anvil.js';
import { claimDataDir } from './embedded.lock.js';
import { startEmbeddedPostgres } from './embedded.postgres.js';
import { loadOrCreateSecrets } from './embedded.secrets.js';

export interface RunningInfrastructure extends Infrastructure {
  stop(): Promise<void>;
}

const DATABASE_NAME = 'streakpets';

export interface InfrastructureOptions {
  /**
   * The app server, rather than a command: it claims DATA_DIR (a second server there is refused) and
   * starts the embedded services itself, waiting for a command that runs them to finish, where a
   * command uses the services the running app started.
   */
  server?: boolean;
  /** Aborted by a signal during start-up: what was started is stopped and the call throws. */
  signal?: AbortSignal;
}

/**
 * Resolves where the database and chain are: the configured URLs, or an embedded PostgreSQL
 * and anvil started on free ports with their data under DATA_DIR.
 */
export async function startInfrastructure(config: Config, logger: Logger, { server = false, signal }: InfrastructureOptions = {}): Promise<RunningInfrastructure> {
  let dataDir = path.resolve(config.DATA_DIR);
  const embedded = !config.DATABASE_URL || !config.CHAIN_RPC_URL;
  const needsSecrets = embedded || !config.JWT_SECRET || !config.WALLET_MASTER_KEY;
  const stops: Array<() => Promise<void>> = [];
  let stopping: Promise<void> | null = null;
  if (server && embedded) {
    mkdirSync(dataDir, { recursive: true });
    dataDir = realpathSync(dataDir);
    const release = claimDataDir(dataDir);
    stops.push(async () => release());
  }
  try {
    const secrets = needsSecrets ? loadOrCreateSecrets(dataDir) : null;
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres(path.join(dataDir, 'pg'), secrets!.pgPassword, logger, [DATABASE_NAME], { attach: !server, signal });
      stops.push(() => pg.stop());
      databaseUrl = pg.url(DATABASE_NAME);
      if (!pg.attached) logger.info({ port: pg.port }, 'embedded PostgreSQL started');
    }
    signal?.throwIfAborted();
    let rpcUrl = config.CHAIN_RPC_URL;
    if (!rpcUrl) {
      const anvil = await startAnvil(logger, path.join(dataDir, 'anvil'), { attach: !server, signal });
      stops.push(() => anvil.stop());
      rpcUrl = anvil.url;
      if (!anvil.attached) logger.info({ port: anvil.port }, 'embedded anvil chain started');
    }
    signal?.throwIfAborted();
    return {
      databaseUrl,
      rpcUrl,
      embeddedChain: !config.CHAIN_RPC_URL,
      jwtSecret: config.JWT_SECRET ?? secrets!.jwtSecret,
      walletMasterKey: config.WALLET_MASTER_KEY ?? secrets!.walletMasterKey,
      // once, whoever asks first (a shutdown, or its timeout while the shutdown hangs)
      stop() {
        stopping ??= (async () => {
          for (const stop of [...stops].reverse()) await stop().catch((err) => logger.error({ err }, 'stopping embedded service failed'));
        })();
        return stopping;
      },
    };
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw err;
  }
}
