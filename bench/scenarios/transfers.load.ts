/**
 * The transfers bench's load generator, in its own process so it does not share the server's
 * thread: receives the transfers to send over IPC and answers each request's latency, the accepted
 * ledger ids and the phase's duration. Closed loop (`concurrency` requests in flight, as fast as
 * the server answers) or open loop (`rate` requests a second on a fixed schedule, each timed from
 * its scheduled start, so queueing shows in the latency).
 */
export interface TransfersLoadCommand {
  baseUrl: string;
  transfers: Array<{ auth: Record<string, string>; key: string }>;
  to: string;
  amount: string;
  concurrency: number;
  rate?: number;
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
  const send = async (job: { auth: Record<string, string>; key: string }, t0: number) => {
    const res = await fetch(`${command.baseUrl}/api/v1/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': job.key, ...job.auth },
      body: JSON.stringify({ to: command.to, amount: command.amount }),
    });
    const body = (await res.json()) as { id?: string };
    latencies.push(performance.now() - t0);
    if (res.status === 202 && body.id) accepted.push(body.id);
    else rejected++;
  };
  const started = performance.now();
  if (command.rate) {
    const interval = 1000 / command.rate;
    const sent: Array<Promise<void>> = [];
    for (const [i, job] of command.transfers.entries()) {
      const due = started + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sent.push(send(job, due));
    }
    await Promise.all(sent);
  } else {
    let next = 0;
    await Promise.all(
      Array.from({ length: command.concurrency }, async () => {
        while (next < command.transfers.length) {
          const job = command.transfers[next++];
          await send(job, performance.now());
        }
      }),
    );
  }
  const result: TransfersLoadResult = { latencies, accepted, rejected, seconds: (performance.now() - started) / 1000 };
  process.send!(result, () => process.exit(0));
});
