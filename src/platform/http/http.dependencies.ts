import { HttpRequestError, SocketClosedError, TimeoutError, WebSocketRequestError } from 'viem';

/** Which dependency a request could not reach. */
export type DependencyDown = 'chain_unavailable' | 'database_unavailable';

/** viem's errors for a JSON-RPC call that never got an answer (refused, reset, timed out, an HTTP error status). */
const CHAIN_TRANSPORT_ERRORS = [HttpRequestError, TimeoutError, WebSocketRequestError, SocketClosedError];

/** Socket errors of a connection that could not be made or was cut. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs of a PostgreSQL that cannot serve: class 08 (connection exception), 57P01–57P03
 * (terminated by an administrator, crash shutdown, cannot connect now) and 53300 (too many connections).
 */
const PG_UNAVAILABLE = /^(08...|57P0[123]|53300)$/;

/** pg's own errors for a connection lost or never made (they carry no code). */
const PG_CONNECTION_LOST = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/** The error and its causes (viem and fetch nest the socket error; Node's connect may give an AggregateError). */
function chainOf(err: unknown): Array<{ code?: unknown; syscall?: unknown; message?: unknown; name?: unknown }> {
  const out: Array<Record<string, unknown>> = [];
  const queue: unknown[] = [err];
  while (queue.length && out.length < 16) {
    const e = queue.shift();
    if (!e || typeof e !== 'object') continue;
    out.push(e as Record<string, unknown>);
    const { cause, errors } = e as { cause?: unknown; errors?: unknown };
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return out;
}

function isConnectionFailure(e: { code?: unknown; syscall?: unknown }): boolean {
  return (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) || e.syscall === 'connect';
}

/**
 * The dependency a failure says is unreachable, or null for any other error. The chain is reached
 * only through viem (which wraps the socket error) or fetch; a bare socket error or a
 * connection-level SQLSTATE comes from the PostgreSQL pool.
 */
export function unreachableDependency(err: unknown): DependencyDown | null {
  const chain = chainOf(err);
  if (chain.some((e) => CHAIN_TRANSPORT_ERRORS.some((type) => e instanceof type))) return 'chain_unavailable';
  if (chain.some((e) => e instanceof TypeError && e.message === 'fetch failed')) return 'chain_unavailable';
  for (const e of chain) {
    if (typeof e.code === 'string' && PG_UNAVAILABLE.test(e.code)) return 'database_unavailable';
    if (isConnectionFailure(e)) return 'database_unavailable';
    if (typeof e.message === 'string' && PG_CONNECTION_LOST.test(e.message)) return 'database_unavailable';
  }
  return null;
}
