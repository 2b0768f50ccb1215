import { failureLine } from '../platform/cli/cli.failure.js';
import { runAdminCommand } from './accounts.admin.js';

runAdminCommand(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${failureLine(err)}\n`);
    process.exit(1);
  },
);
