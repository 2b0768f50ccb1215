import autocannon from 'autocannon';

/**
 * The chat bench's load generator, in its own process so it does not share the server's thread:
 * receives {baseUrl, chatters, rate?, seconds} over IPC, POSTs messages to the chatters' pets in
 * turn (each with its own token) and answers autocannon's result.
 */
export interface ChatLoadCommand {
  baseUrl: string;
  chatters: Array<{ auth: { authorization: string }; petId: string }>;
  rate?: number;
  seconds: number;
}

interface CannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const LINES = ['how are you?', 'are you hungry?', 'I went running today', 'what is our streak?', 'good night!'];

process.once('message', async (command: ChatLoadCommand) => {
  let next = 0;
  const result = await autocannon({
    url: command.baseUrl,
    connections: command.rate ? 64 : 32,
    duration: command.seconds,
    ...(command.rate ? { overallRate: command.rate } : {}),
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
