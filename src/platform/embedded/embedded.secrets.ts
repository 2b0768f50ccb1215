import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { StartupError } from '../lifecycle/lifecycle.errors.js';

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

/** Writes the file whole and flushes it to disk, so a crash never leaves it half-written where it is linked or renamed to. */
function writeDurably(file: string, text: string): void {
  const fd = openSync(file, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
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
  const aside = `${file}.${process.pid}.tmp`;
  writeDurably(aside, JSON.stringify(secrets, null, 2));
  try {
    // a file an older version wrote without some key is completed in place; a new one must not replace a racing winner's
    if (existing) renameSync(aside, file);
    else linkSync(aside, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateSecrets(dataDir);
    throw err;
  } finally {
    rmSync(aside, { force: true });
  }
  return secrets;
}
