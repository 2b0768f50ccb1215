import autocannon from 'autocannon';
import { loadClient, postJson } from '../bench.http.js';
import { percentile } from '../bench.measure.js';

/**
 * The chat bench's load generator, in its own process so it does not share the server's thread:
 * receives {baseUrl, chatters, rate?, seconds} over IPC and POSTs messages to the chatters' pets in
 * turn (each with its own token). Without a rate: autocannon's closed loop (as fast as answered).
 * With a rate: an open loop that starts a request every 1/rate s whatever the answers (autocannon's
 * own rate limit sends each second's quota in a burst), timing each from its scheduled start, after
 * `warmupSeconds` at the same rate whose answers are not counted (new connections, first token
 * checks and the server's first runs of each code path would otherwise be measured as the load).
 */
export interface ChatLoadCommand {
  baseUrl: string;
  chatters: Array<{ auth: { authorization: string }; petId: string }>;
  rate?: number;
  seconds: number;
  warmupSeconds?: number;
  /** Connections of the closed loop (requests in flight). */
  connections?: number;
}

interface CannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const LINES = ['how are you?', 'are you hungry?', 'I went running today', 'what is our streak?', 'good night!'];

interface PacedResult {
  latency: { p50: number; p99: number; average: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

async function paced(command: ChatLoadCommand & { rate: number }): Promise<PacedResult> {
  const interval = 1000 / command.rate;
  const warmup = Math.round(command.rate * (command.warmupSeconds ?? 0));
  const total = warmup + Math.round(command.rate * command.seconds);
  const latencies: number[] = [];
  const counts = { ok: 0, non2xx: 0, errors: 0 };
  const inFlight: Promise<void>[] = [];
  const client = loadClient(command.baseUrl);
  const fire = async (i: number, due: number) => {
    const c = command.chatters[i % command.chatters.length];
    try {
      const { status } = await postJson(client, `/api/v1/pets/${c.petId}/messages`, c.auth, JSON.stringify({ content: LINES[i % LINES.length] }));
      if (i < warmup) return;
      latencies.push(performance.now() - due);
      if (status >= 200 && status < 300) counts.ok++;
      else counts.non2xx++;
    } catch {
      if (i >= warmup) counts.errors++;
    }
  };
  const start = performance.now();
  let i = 0;
  while (i < total) {
    const now = performance.now();
    for (; i < total && start + i * interval <= now; i++) inFlight.push(fire(i, start + i * interval));
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inFlight);
  await client.close();
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    latency: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), average: round(latencies.reduce((a, b) => a + b, 0) / (latencies.length || 1)) },
    '2xx': counts.ok,
    non2xx: counts.non2xx,
    errors: counts.errors,
    timeouts: 0,
  };
}

process.once('message', async (command: ChatLoadCommand) => {
  if (command.rate) {
    const result = await paced({ ...command, rate: command.rate });
    process.send!(result, () => process.exit(0));
    return;
  }
  let next = 0;
  const result = await autocannon({
    url: command.baseUrl,
    connections: command.connections ?? 32,
    duration: command.seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (req: CannonRequest) => {
          const c = command.chatters[next++ % command.chatters.length];
          req.path = `/api/v1/pets/${c.petId}/messages`;
          req.headers = { ...c.auth, 'content-type': 'application/json' };
          req.body = JSON.stringify({ content: LINES[next % LINES.length] });
          return req;
        },
      },
    ],
  } as autocannon.Options);
  process.send!(result, () => process.exit(0));
});
