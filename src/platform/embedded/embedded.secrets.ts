import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface EmbeddedSecrets {
  pgPassword: string;
  jwtSecret: string;
  walletMasterKey: string;
}

/** Secrets for the embedded default, created once in DATA_DIR/secrets.json with mode 0600. */
export function loadOrCreateSecrets(dataDir: string): EmbeddedSecrets {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'secrets.json');
  const existing: Partial<EmbeddedSecrets> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const secrets: EmbeddedSecrets = {
    pgPassword: existing.pgPassword ?? randomBytes(24).toString('base64url'),
    jwtSecret: existing.jwtSecret ?? randomBytes(48).toString('base64url'),
    walletMasterKey: existing.walletMasterKey ?? randomBytes(32).toString('hex'),
  };
  if (JSON.stringify(existing) !== JSON.stringify(secrets)) {
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  return secrets;
}
