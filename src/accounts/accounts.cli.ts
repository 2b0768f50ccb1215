import { ConfigError } from '../config.js';
import { runAdminCommand } from './accounts.admin.js';

runAdminCommand(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`streakpets: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    process.exit(1);
  },
);
