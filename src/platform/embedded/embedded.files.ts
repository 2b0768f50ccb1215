import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';

/**
 * Writes text to a file of this process's own beside `file` (flushed to disk), hands its path to
 * `place` (which links or renames it into place, so readers see the file whole or not at all), and
 * removes what is left of it afterwards.
 */
export function writeAside<T>(file: string, text: string, place: (aside: string) => T): T {
  const aside = `${file}.${process.pid}.tmp`;
  const fd = openSync(aside, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    return place(aside);
  } finally {
    rmSync(aside, { force: true });
  }
}
