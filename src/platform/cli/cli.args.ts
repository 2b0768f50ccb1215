import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a command writes its usage and complaints, one line (or block) at a time. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const stdio: CliOutput = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** parseArgs' complaint in one sentence ("Unknown option '--test-tokn'"), without its advice. */
function complaint(err: unknown): string {
  return String((err as Error).message).split(/\.(?:\s|$)/)[0];
}

/**
 * A command line read strictly with node:util parseArgs: the given options plus --help/-h, and
 * positional arguments only when allowed. Returns what was given when the command should run, or else
 * the exit code to end with: 0 after printing the usage on stdout for --help/-h, 2 after printing the
 * problem and the usage on stderr for an unknown flag, a stray argument or a flag given a value it does
 * not take (or lacking one).
 */
export function readCommandLine<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
  usage: string,
  io: CliOutput = stdio,
  allowPositionals = false,
) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, ...HELP }, strict: true, allowPositionals });
  } catch (err) {
    io.err(`streakpets: ${complaint(err)}\n${usage}`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.out(usage);
    return 0;
  }
  return parsed;
}

/** A command's flags (no positional arguments), or the exit code to end with: see readCommandLine. */
export function readFlags<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, usage: string, io: CliOutput = stdio) {
  const read = readCommandLine(argv, options, usage, io);
  return typeof read === 'number' ? read : read.values;
}
