import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { writeAside } from './embedded.files.js';
import { StartupError } from '../lifecycle/lifecycle.errors.js';
import { isProcessAlive, waitFor } from './embedded.ports.js';

/**
 * Who started an embedded service (and will stop it), recorded beside the service's data: the
 * process's pid, its start time (so a pid the OS has since given to an unrelated process is not taken
 * for the owner) and, for anvil, the port it listens on.
 */
export interface ServiceOwner {
  pid: number;
  started: string | null;
  port?: number;
}

/** When a process started, in clock ticks since boot (Linux /proc/<pid>/stat field 22); null where unreadable. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may itself hold spaces or parentheses
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export interface EmbeddedServiceOptions {
  /**
   * Use the service where another live StreakPets process runs it (a command next to the app; the
   * default), or, for a server, wait until that process has stopped it and start it here.
   */
  attach?: boolean;
  /** Aborted by a signal during start-up: stop waiting, stop what was started and throw. */
  signal?: AbortSignal;
}

/** This process as an owner record. */
export function thisProcess(extra: { port?: number } = {}): ServiceOwner {
  return { pid: process.pid, started: processStartTime(process.pid), ...extra };
}

/** Records a process (by default this one) as the owner of a service; written aside and renamed, so a reader never sees half a file. */
export function writeOwner(file: string, owner: ServiceOwner = thisProcess()): void {
  writeAside(file, JSON.stringify(owner), (aside) => renameSync(aside, file));
}

/** Beside an owner file: one record per process that uses the service without owning it (a command next to another). */
const usersDir = (ownerFile: string) => `${ownerFile}.users`;

/**
 * Records this process as a user of a service another process owns; returns the release. The folder
 * is made again when an owner stopping at that moment removed it as empty (removeOwner).
 */
export function addUser(ownerFile: string): () => void {
  const dir = usersDir(ownerFile);
  const file = path.join(dir, String(process.pid));
  for (let attempt = 1; ; attempt++) {
    mkdirSync(dir, { recursive: true });
    try {
      writeOwner(file);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw err;
    }
  }
  return () => rmSync(file, { force: true });
}

/**
 * A live process other than this one that still uses the service, else null. Records left by
 * processes that died (killed before they could remove theirs) are removed on the way.
 */
export function otherLiveUser(ownerFile: string): ServiceOwner | null {
  let names: string[];
  try {
    names = readdirSync(usersDir(ownerFile));
  } catch {
    return null;
  }
  for (const name of names.filter((n) => /^\d+$/.test(n))) {
    const file = path.join(usersDir(ownerFile), name);
    const user = otherLiveOwner(file);
    if (user) return user;
    if (Number(name) !== process.pid) rmSync(file, { force: true });
  }
  return null;
}

/** Whether the owner file names this process (it started the service, or was handed it). */
export function ownedHere(file: string): boolean {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as Partial<ServiceOwner>;
    return owner.pid === process.pid && owner.started === processStartTime(process.pid);
  } catch {
    return false;
  }
}

/** Forgets the owner, when it stops the service, and the folder of user records when none is left in it. */
export function removeOwner(file: string): void {
  rmSync(file, { force: true });
  try {
    rmdirSync(usersDir(file));
  } catch {
    // absent, or still holding a record: a user that died (cleared by the next owner) or one arriving now
  }
}

/**
 * The recorded owner when it is another process that is still alive (the same process that wrote the
 * file, not a later one with its pid), else null: the service is then an orphan of a dead process.
 */
export function otherLiveOwner(file: string): ServiceOwner | null {
  if (!existsSync(file)) return null;
  let owner: Partial<ServiceOwner>;
  try {
    owner = JSON.parse(readFileSync(file, 'utf8')) as Partial<ServiceOwner>;
  } catch {
    return null;
  }
  const pid = Number(owner?.pid);
  if (!(pid > 0) || pid === process.pid || !isProcessAlive(pid)) return null;
  if (owner.started && processStartTime(pid) !== owner.started) return null;
  return { pid, started: owner.started ?? null, ...(Number(owner.port) > 0 ? { port: Number(owner.port) } : {}) };
}

/** How long a server waits for a command (`npm run migrate`, `npm run admin`) to finish with the embedded services it started. */
export const COMMAND_WAIT_MS = 120_000;

/**
 * Waits until no other live process owns the service (a command started it and is still using it),
 * so a server never depends on a command's lifetime: it then starts the service itself. Stops waiting
 * when the signal aborts; refuses with a StartupError after COMMAND_WAIT_MS.
 */
export async function waitUntilReleased(file: string, service: string, logger: Logger, signal?: AbortSignal): Promise<void> {
  const owner = otherLiveOwner(file);
  if (!owner) return;
  logger.info({ owner: owner.pid }, `waiting for the StreakPets command using the embedded ${service} of this data dir to finish`);
  const released = await waitFor(async () => Boolean(signal?.aborted) || !otherLiveOwner(file), COMMAND_WAIT_MS, 100);
  signal?.throwIfAborted();
  if (!released) {
    throw new StartupError(`the embedded ${service} of this DATA_DIR is still used by StreakPets process ${owner.pid} after ${COMMAND_WAIT_MS / 1000} s; stop it and start again`);
  }
}
