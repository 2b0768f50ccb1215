import proxyAddr from '@fastify/proxy-addr';
import type { Config } from '../../config.js';

type TrustProxy = false | string[] | ((address: string, hop: number) => boolean);

/**
 * Fastify's trustProxy for the TRUST_PROXY setting. A list of proxy addresses is Fastify's own form. A hop
 * count trusts that many peers nearest the app, whatever their address (Fastify 5 takes no number, since
 * a client that reaches the app directly could then choose its address): the address a request's last
 * trusted proxy appended to X-Forwarded-For is the client's, and entries the client sent before it are not.
 */
export function trustProxyOption(setting: Config['TRUST_PROXY']): TrustProxy {
  if (typeof setting !== 'number') return setting;
  return (_address, hop) => hop < setting;
}

/**
 * Whether a request's peer is a proxy TRUST_PROXY trusts, so that its X-Forwarded-Proto and -Host count:
 * the test Fastify applies for request.protocol and request.host, for requests Fastify never sees
 * (Socket.io's handshakes).
 */
export function trustsPeer(setting: Config['TRUST_PROXY']): (address: string | undefined) => boolean {
  const option = trustProxyOption(setting);
  if (option === false) return () => false;
  const trust = typeof option === 'function' ? option : proxyAddr.compile(option);
  return (address) => address !== undefined && trust(address, 0);
}
