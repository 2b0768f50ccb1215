import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { StartupError } from '../lifecycle/lifecycle.errors.js';
import { writeAside } from './embedded.files.js';

export interface EmbeddedSecrets {
  pgPassword: string;
  jwtSecret: string;
  walletMasterKey: string;
}

function readSecrets(file: string): Partial<EmbeddedSecrets> | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Partial<EmbeddedSecrets>;
  } catch {
    throw new StartupError(`${file} is not valid JSON; restore it from a backup (it holds the key of every wallet)`);
  }
}

/**
 * Secrets for the embedded default, created once in DATA_DIR/secrets.json with mode 0600. The file
 * appears whole or not at all (written aside, then linked into place); when two first starts race,
 * the first link wins and the other process uses the winner's secrets.
 */
export function loadOrCreateSecrets(dataDir: string): EmbeddedSecrets {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'secrets.json');
  const existing = readSecrets(file);
  const secrets: EmbeddedSecrets = {
    pgPassword: existing?.pgPassword ?? randomBytes(24).toString('base64url'),
    jwtSecret: existing?.jwtSecret ?? randomBytes(48).toString('base64url'),
    walletMasterKey: existing?.walletMasterKey ?? randomBytes(32).toString('hex'),
  };
  if (existing && JSON.stringify(existing) === JSON.stringify(secrets)) {
    chmodSync(file, 0o600);
    return secrets;
  }
  const placed = writeAside(file, JSON.stringify(secrets, null, 2), (aside) => {
    try {
      // a file an older version wrote without some key is completed in place; a new one must not replace a racing winner's
      if (existing) renameSync(aside, file);
      else linkSync(aside, file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  });
  return placed ? secrets : loadOrCreateSecrets(dataDir);
}
