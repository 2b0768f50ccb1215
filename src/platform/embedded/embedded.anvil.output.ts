/** A private key as anvil prints it: 0x and 64 hex digits (a transaction hash looks the same). */
const PRIVATE_KEY = /0x[0-9a-fA-F]{64}/;

/**
 * Splits anvil's stdout into lines and drops the secrets of its start-up banner: the private keys of
 * the 20 dev accounts and their mnemonic. Well known, but a key in a log is still a key in a log,
 * and the same lines would leak real keys if anvil were ever started with its own mnemonic. After the
 * banner ("Listening on …") lines pass whole: the 0x-and-64-hex strings there are transaction hashes.
 */
export function anvilOutputFilter(): (chunk: string) => string[] {
  let inBanner = true;
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    const kept: string[] = [];
    for (const line of lines) {
      if (inBanner && line.startsWith('Listening on')) inBanner = false;
      else if (inBanner && (PRIVATE_KEY.test(line) || /^\s*Mnemonic:/.test(line))) continue;
      if (line.trim()) kept.push(line.trimEnd());
    }
    return kept;
  };
}
