import { failureLine } from '../platform/cli/cli.failure.js';
import { abortOnSignals, signalExitCode } from '../platform/lifecycle/lifecycle.signals.js';
import { runPetsCommand } from './pets.admin.js';

// a signal while the embedded services start stops them; once they run, the sweep finishes and stops them
const stopping = abortOnSignals();
runPetsCommand(process.argv.slice(2), process.env, undefined, stopping.signal).then(
  (code) => process.exit(code),
  (err) => {
    const signal = stopping.received();
    process.stderr.write(signal ? 'streakpets: interrupted\n' : `${failureLine(err)}\n`);
    process.exit(signal ? signalExitCode(signal) : 1);
  },
);
