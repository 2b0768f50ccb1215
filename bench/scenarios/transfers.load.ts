/**
 * The transfers bench's load generator, in its own process so it does not share the server's
 * thread: receives the transfers to send over IPC, keeps `concurrency` requests in flight, and
 * answers each request's latency, the accepted ledger ids and the accept phase's duration.
 */
export interface TransfersLoadCommand {
  baseUrl: string;
  transfers: Array<{ auth: Record<string, string>; key: string }>;
  to: string;
  amount: string;
  concurrency: number;
}

export interface TransfersLoadResult {
  latencies: number[];
  accepted: string[];
  rejected: number;
  seconds: number;
}

process.once('message', async (command: TransfersLoadCommand) => {
  const latencies: number[] = [];
  const accepted: string[] = [];
  let rejected = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: command.concurrency }, async () => {
      while (next < command.transfers.length) {
        const job = command.transfers[next++];
        const t0 = performance.now();
        const res = await fetch(`${command.baseUrl}/api/v1/transfers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': job.key, ...job.auth },
          body: JSON.stringify({ to: command.to, amount: command.amount }),
        });
        const body = (await res.json()) as { id?: string };
        latencies.push(performance.now() - t0);
        if (res.status === 202 && body.id) accepted.push(body.id);
        else rejected++;
      }
    }),
  );
  const result: TransfersLoadResult = { latencies, accepted, rejected, seconds: (performance.now() - started) / 1000 };
  process.send!(result, () => process.exit(0));
});
