import { z } from 'zod';
import { readCommandLine, type CliOutput } from '../platform/cli/cli.args.js';
import { withCommandDeps } from '../platform/cli/cli.deps.js';
import { AppError } from '../platform/http/http.errors.js';
import { localizeField, type ValidationIssue } from '../platform/http/http.validation.js';
import { createAccountsServices } from './accounts.module.js';
import { email as emailSchema, personName } from './accounts.schema.js';

const USAGE = `usage: npm run admin -- create <email> [--name "Full Name"]
       npm run admin -- promote <email>
       npm run admin -- reset-2fa <email>
       npm run admin -- --help`;

export type AdminIo = CliOutput;

/** The command's email and name, held to the rules sign-up and sign-in hold them to, so the admin it makes can sign in. */
const adminInput = z.object({ email: emailSchema, name: personName.optional() });

/** Each problem of the input as one line naming the argument, in the API's English wording. */
function inputProblems(error: z.ZodError): string[] {
  return error.issues.map(({ message, path, ...issue }) => {
    const params = (issue as { params?: Record<string, unknown> }).params;
    const told = localizeField('en', { field: path.join('.'), message, issue: issue as ValidationIssue, params });
    return `streakpets: invalid ${told.field === 'name' ? '--name' : told.field}: ${told.message}`;
  });
}

const stdio: AdminIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * `npm run admin`: creates the first admin account or promotes an existing one, on DATABASE_URL or the
 * embedded database. A signal aborting start-up stops the embedded services it started and throws.
 */
export async function runAdminCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, io: AdminIo = stdio, signal?: AbortSignal): Promise<number> {
  const { out } = io;
  if (argv[0] === 'help') {
    out(USAGE);
    return 0;
  }
  const read = readCommandLine(argv, { name: { type: 'string' } }, USAGE, io, true);
  if (typeof read === 'number') return read;
  const [command, rawEmail, ...extra] = read.positionals;
  const rawName = read.values.name;
  if (!['create', 'promote', 'reset-2fa'].includes(command ?? '') || !rawEmail || extra.length) {
    io.err(USAGE);
    return 2;
  }
  const input = adminInput.safeParse({ email: rawEmail, name: rawName });
  if (!input.success) {
    for (const line of inputProblems(input.error)) io.err(line);
    return 2;
  }
  const { email } = input.data;
  // an email's local part is plain ASCII (z.email), so the default name is one printable line
  const name = input.data.name ?? email.split('@')[0].slice(0, 100);
  return withCommandDeps(env, signal, async (deps) => {
    const { accounts, twoFactor } = createAccountsServices(deps);
    try {
      if (command === 'reset-2fa') {
        const user = await twoFactor.resetByOperator(email);
        out(`two-factor authentication turned off for ${user.email} (${user.id}); every session was signed out and the owner notified.`);
        out('check who is asking before doing this again: it removes the second factor.');
      } else if (command === 'create') {
        const { user, password } = await accounts.createAdmin(email, name);
        out(`admin created: ${user.email} (${user.id})`);
        out(`password (shown once, change it after signing in): ${password}`);
        out('admin powers require two-factor authentication: sign in, turn it on in Settings (or POST /api/v1/auth/2fa/setup, then /auth/2fa/enable {code, currentPassword}), then open Admin.');
      } else {
        const user = await accounts.promote(email);
        out(`promoted to admin: ${user.email} (${user.id})`);
        if (!user.twoFactorEnabled) out('this account has no two-factor authentication yet; it has no admin powers (admin routes, other users\' data) until it is enabled.');
      }
      return 0;
    } catch (err) {
      if (err instanceof AppError && err.code === 'email_taken') io.err(`streakpets: ${email} already has an account; use "promote"`);
      else if (err instanceof AppError && err.code === 'user_not_found') io.err(`streakpets: no account with email ${email}`);
      else if (err instanceof AppError && err.code === 'totp_not_enabled') io.err(`streakpets: ${email} has no two-factor authentication to reset`);
      else throw err;
      return 1;
    }
  });
}
