import { io as connect, type Socket } from 'socket.io-client';

/**
 * The browser side of the realtime bench, in its own process so the server's memory is measured alone:
 * opens one authenticated websocket per token and timestamps every notification and announcement it receives.
 */
type Command =
  | { cmd: 'connect'; baseUrl: string; tokens: string[]; concurrency: number }
  | { cmd: 'count' }
  | { cmd: 'collect' }
  | { cmd: 'close' };

const sockets: Socket[] = [];
const notifications = new Map<number, number>();
const announcements: number[] = [];

function open(baseUrl: string, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(baseUrl, { path: '/socket.io', transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true, timeout: 30_000 });
    socket.on('notification', (payload: { data?: { seq?: number } }) => {
      if (typeof payload?.data?.seq === 'number') notifications.set(payload.data.seq, Date.now());
    });
    socket.on('system:announcement', () => announcements.push(Date.now()));
    socket.once('connect', () => {
      sockets.push(socket);
      resolve(true);
    });
    socket.once('connect_error', () => {
      socket.close();
      resolve(false);
    });
  });
}

async function connectAll(baseUrl: string, tokens: string[], concurrency: number) {
  const started = Date.now();
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tokens.length) {
        const token = tokens[next++];
        if (!(await open(baseUrl, token))) failed++;
      }
    }),
  );
  return { connected: sockets.length, failed, ms: Date.now() - started };
}

process.on('message', async (message: Command) => {
  if (message.cmd === 'connect') process.send!({ type: 'connected', ...(await connectAll(message.baseUrl, message.tokens, message.concurrency)) });
  if (message.cmd === 'count') process.send!({ type: 'count', notifications: notifications.size, announcements: announcements.length });
  if (message.cmd === 'collect') process.send!({ type: 'receipts', notifications: [...notifications.entries()], announcements });
  if (message.cmd === 'close') {
    for (const socket of sockets) socket.disconnect();
    process.send!({ type: 'closed' }, () => process.exit(0));
  }
});
