import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A new folder under the system temp dir that embedded PostgreSQL can keep its cluster in. mkdtemp
 * makes it 0700; run as root, PostgreSQL runs as the postgres user, which could not enter it, so the
 * cluster went to /var/lib/streakpets/<hash> and stayed there after the folder was removed (gigabytes
 * after a few runs). Readable by others, the cluster lives inside it and goes with it.
 */
export function tmpFolder(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}
