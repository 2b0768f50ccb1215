/**
 * The transfers bench's load generator, in its own process so it does not share the server's
 * thread: receives the transfers to send over IPC and answers each request's latency, the accepted
 * ledger ids and the phase's duration. Closed loop (`concurrency` requests in flight, as fast as
 * the server answers) or open loop (`rate` requests a second on a fixed schedule, each timed from
 * its scheduled start, so queueing shows in the latency, after `warmup` transfers at the same rate
 * whose answers are not counted: new connections, first compilations).
 */
import { loadClient, postJson } from '../bench.http.js';

export interface TransfersLoadCommand {
  baseUrl: string;
  transfers: Array<{ auth: Record<string, string>; key: string }>;
  to: string;
  amount: string;
  concurrency: number;
  rate?: number;
  warmup?: number;
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
  const client = loadClient(command.baseUrl);
  const send = async (job: { auth: Record<string, string>; key: string }, t0: number, counted = true) => {
    let res: { status: number; text: string };
    try {
      res = await postJson(client, '/api/v1/transfers', { 'idempotency-key': job.key, ...job.auth }, JSON.stringify({ to: command.to, amount: command.amount }));
    } catch {
      if (counted) rejected++;
      return;
    }
    if (!counted) return;
    latencies.push(performance.now() - t0);
    const id = res.status === 202 ? (JSON.parse(res.text) as { id?: string }).id : undefined;
    if (id) accepted.push(id);
    else rejected++;
  };
  let started = performance.now();
  if (command.rate) {
    const interval = 1000 / command.rate;
    const warmup = command.warmup ?? 0;
    const first = started;
    started += warmup * interval;
    const sent: Array<Promise<void>> = [];
    for (const [i, job] of command.transfers.entries()) {
      const due = first + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sent.push(send(job, due, i >= warmup));
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
