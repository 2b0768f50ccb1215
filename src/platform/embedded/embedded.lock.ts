import { linkSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { StartupError } from '../lifecycle/lifecycle.errors.js';
import { writeAside } from './embedded.files.js';
import { otherLiveOwner, thisProcess } from './embedded.owner.js';

/** In DATA_DIR: the StreakPets server whose embedded services these are. */
const LOCK_FILE = 'server.owner';

const inUse = (dataDir: string, pid: number) =>
  new StartupError(`DATA_DIR ${dataDir} is in use by another StreakPets server (pid ${pid}); stop it or use another DATA_DIR`);

function releaseIfOurs(file: string): void {
  try {
    if (JSON.parse(readFileSync(file, 'utf8')).pid === process.pid) rmSync(file, { force: true });
  } catch {
    // already gone
  }
}

/**
 * Claims DATA_DIR for this server, before it touches anything there: a second server on the same
 * DATA_DIR would share the first one's PostgreSQL and anvil and lose them when the first stopped, so
 * it is refused with a StartupError naming the owner. The claim is a file linked into place (only
 * one process can create it); one left by a dead process is moved aside and taken over. Commands
 * (`npm run migrate`, `npm run admin`) do not claim: they use the running server's services.
 * Returns the release.
 */
export function claimDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, LOCK_FILE);
  return writeAside(file, JSON.stringify(thisProcess()), (aside) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(aside, file);
        return () => releaseIfOurs(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = otherLiveOwner(file);
      if (owner) throw inUse(dataDir, owner.pid);
      const stale = `${file}.${process.pid}.stale`;
      try {
        renameSync(file, stale);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      // another server may have taken the stale claim over between the check and the move: give its claim back
      const moved = otherLiveOwner(stale);
      if (moved) {
        try {
          linkSync(stale, file);
        } finally {
          rmSync(stale, { force: true });
        }
        throw inUse(dataDir, moved.pid);
      }
      rmSync(stale, { force: true });
    }
    throw new StartupError(`DATA_DIR ${dataDir} is being claimed by several StreakPets servers at once; start one`);
  });
}
