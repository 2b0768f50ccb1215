import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** Drops every relayed connection and refuses new ones (ECONNREFUSED), as a dependency that went down. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP relay on 127.0.0.1 to a real server (the run's PostgreSQL or anvil) that a test can cut and restore. */
export async function tcpProxy(target: net.NetConnectOpts): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  let server: net.Server | null = null;
  const listen = async (port: number) => {
    const s = net.createServer((client) => {
      const upstream = net.connect(target);
      track(client);
      track(upstream);
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => s.once('error', reject).listen(port, '127.0.0.1', resolve));
    server = s;
    return (s.address() as net.AddressInfo).port;
  };
  const cut = async () => {
    const s = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    if (s) await new Promise((resolve) => s.close(resolve));
  };
  const port = await listen(0);
  return {
    port,
    cut,
    async restore() {
      if (!server) await listen(port);
    },
    close: cut,
  };
}

/** Where a PostgreSQL URL points (its Unix socket when it names a `host` directory), for tcpProxy. */
export function postgresTarget(databaseUrl: string): net.NetConnectOpts {
  const url = new URL(databaseUrl);
  const port = Number(url.port || 5432);
  const socketDir = url.searchParams.get('host');
  return socketDir ? { path: `${socketDir}/.s.PGSQL.${port}` } : { host: url.hostname, port };
}

/** The same database reached through a proxy on 127.0.0.1. */
export function throughProxy(databaseUrl: string, proxy: TcpProxy): string {
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  url.searchParams.delete('host');
  return url.toString();
}
