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
