import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isProcessAlive } from './embedded.ports.js';

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

/** Records this process as the owner of a service it just started. */
export function writeOwner(file: string, extra: { port?: number } = {}): void {
  const owner: ServiceOwner = { pid: process.pid, started: processStartTime(process.pid), ...extra };
  writeFileSync(file, JSON.stringify(owner));
}

/** Forgets the owner, when it stops the service. */
export function removeOwner(file: string): void {
  rmSync(file, { force: true });
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
