import { readCommandLine, type CliOutput } from '../platform/cli/cli.args.js';
import { withCommandDeps } from '../platform/cli/cli.deps.js';
import { Clock } from './pets.clock.js';
import { sweepReport } from './pets.jobs.js';
import { PetsService } from './pets.service.js';

const USAGE = `usage: npm run pets -- sweep
       npm run pets -- --help
  sweep  runs the pet sweep now, as the hourly job does: warns owners whose streak is about to break,
         writes down the streaks that broke and alerts the owners of pets that need care; prints what it did`;

const stdio: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * `npm run pets`: an operator runs the pet sweep now, on DATABASE_URL or the embedded database (used
 * where a running server holds it, else started and stopped here). The events it records reach the
 * owners as notifications when a server dispatches the outbox. A signal aborting start-up stops the
 * embedded services it started and throws.
 */
export async function runPetsCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliOutput = stdio, signal?: AbortSignal): Promise<number> {
  if (argv[0] === 'help') {
    io.out(USAGE);
    return 0;
  }
  const read = readCommandLine(argv, {}, USAGE, io, true);
  if (typeof read === 'number') return read;
  if (read.positionals.length !== 1 || read.positionals[0] !== 'sweep') {
    io.err(USAGE);
    return 2;
  }
  return withCommandDeps(env, signal, async (deps) => {
    const result = await new PetsService(deps, new Clock()).sweepStreaks();
    for (const line of sweepReport(result)) io.out(line);
    return 0;
  });
}
