import type { Redis } from 'ioredis';

/**
 * Makes a Redis client's stream reads resume where they left off. The Socket.io streams adapter
 * reads with XREAD from `$` until it has received an entry, and `$` means "after the stream's last
 * entry when this call arrives": on a quiet stream, an entry added between two blocking reads (the
 * adapter blocks 1 s at a time) was never delivered — a node missed events until the first
 * heartbeat reached it. This client instead turns `$` into the stream's last id, read once, and
 * then into the last id it returned, so nothing falls between two reads.
 */
export function resumeStreamReads(client: Redis): void {
  const xread = client.xread.bind(client) as (...args: unknown[]) => Promise<Array<[string, Array<[string, string[]]>]> | null>;
  let last: string | null = null;
  const resuming = async (...args: unknown[]) => {
    const at = args.length - 1;
    if (args[at] === '$') {
      if (last === null) {
        const [entry] = await client.xrevrange(String(args[at - 1]), '+', '-', 'COUNT', 1);
        last ??= entry?.[0] ?? '0-0';
      }
      args[at] = last;
    }
    const result = await xread(...args);
    const entries = result?.[0]?.[1];
    if (entries?.length) last = entries[entries.length - 1][0];
    return result;
  };
  client.xread = resuming as unknown as Redis['xread'];
}
