/**
 * A start-up failure the operator can act on (DATA_DIR in use, port taken, a damaged secrets file):
 * its message is the whole story, printed as one `streakpets: …` line like a wrong setting, with no
 * stack.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}
