import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Infrastructure } from '../deps.js';
import { startAnvil } from './embedded.anvil.js';
import { startEmbeddedPostgres } from './embedded.postgres.js';
import { loadOrCreateSecrets } from './embedded.secrets.js';

export interface RunningInfrastructure extends Infrastructure {
  stop(): Promise<void>;
}

const DATABASE_NAME = 'streakpets';

/**
 * Resolves where the database and chain are: the configured URLs, or an embedded PostgreSQL
 * and anvil started on free ports with their data under DATA_DIR.
 */
export async function startInfrastructure(config: Config, logger: Logger): Promise<RunningInfrastructure> {
  const dataDir = path.resolve(config.DATA_DIR);
  const needsSecrets = !config.DATABASE_URL || !config.JWT_SECRET || !config.WALLET_MASTER_KEY || !config.CHAIN_RPC_URL;
  const secrets = needsSecrets ? loadOrCreateSecrets(dataDir) : null;
  const stops: Array<() => Promise<void>> = [];
  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres(path.join(dataDir, 'pg'), secrets!.pgPassword, logger, [DATABASE_NAME]);
      stops.push(() => pg.stop());
      databaseUrl = pg.url(DATABASE_NAME);
      logger.info({ port: pg.port }, 'embedded PostgreSQL started');
    }
    let rpcUrl = config.CHAIN_RPC_URL;
    if (!rpcUrl) {
      const anvil = await startAnvil(logger, path.join(dataDir, 'anvil'));
      stops.push(() => anvil.stop());
      rpcUrl = anvil.url;
      logger.info({ port: anvil.port }, 'embedded anvil chain started');
    }
    return {
      databaseUrl,
      rpcUrl,
      embeddedChain: !config.CHAIN_RPC_URL,
      jwtSecret: config.JWT_SECRET ?? secrets!.jwtSecret,
      walletMasterKey: config.WALLET_MASTER_KEY ?? secrets!.walletMasterKey,
      async stop() {
        for (const stop of stops.reverse()) await stop().catch((err) => logger.error({ err }, 'stopping embedded service failed'));
      },
    };
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw err;
  }
}
