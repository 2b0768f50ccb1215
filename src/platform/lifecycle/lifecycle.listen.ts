import net from 'node:net';
import { StartupError } from './lifecycle.errors.js';

/** A failure to listen on PORT at HOST as the operator's one line naming the setting; other errors as they are. */
export function listenError(err: unknown, port: number, host: string): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') return new StartupError(`port ${port} on ${host} is already in use (PORT)`);
  if (code === 'EACCES') return new StartupError(`port ${port} on ${host} needs privileges this process does not have (PORT)`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new StartupError(`${host} is not an address of this machine (HOST)`);
  return err;
}

/**
 * Checks, before anything is started, that the server will be able to listen on PORT at HOST, so a
 * port already taken stops start-up at once rather than after the embedded services and migrations.
 * It is checked again at listen, which another process may have beaten to it.
 */
export async function checkCanListen(port: number, host: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err) => reject(listenError(err, port, host)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
