/** SIGINT or SIGTERM as an AbortSignal, and which one came. */
export interface SignalStop {
  signal: AbortSignal;
  received(): NodeJS.Signals | null;
}

/**
 * Aborts on the first SIGINT or SIGTERM. Installed before anything is started, so a signal during
 * start-up no longer kills the process by default, leaving its embedded PostgreSQL and anvil (in
 * their own process groups) running: start-up stops at the next step and stops what it started.
 */
export function abortOnSignals(): SignalStop {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  for (const name of ['SIGINT', 'SIGTERM'] as const) {
    process.once(name, () => {
      if (received) return;
      received = name;
      controller.abort();
    });
  }
  return { signal: controller.signal, received: () => received };
}

/** The exit code of a command ended by the signal (128 + its number, as a shell reports it). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : 143;
}
