import { isIP } from 'node:net';
import { z } from 'zod';

/** The origin a browser sends for this entry, when the entry is exactly one (scheme://host[:port], lower case, no default port, no path). */
function asOrigin(entry: string): string | null {
  try {
    const url = new URL(entry);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === entry ? entry : null;
  } catch {
    return null;
  }
}

/** A comma-separated list of browser origins (CORS_ORIGINS): each entry must be an origin exactly as browsers send it. */
export const originList = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const entries = value.split(',').map((o) => o.trim()).filter(Boolean);
    const wrong = entries.find((entry) => !asOrigin(entry));
    if (wrong !== undefined) {
      ctx.addIssue({ code: 'custom', message: `"${wrong}" is not an origin (scheme://host[:port], no path, e.g. https://app.example.com)` });
      return z.NEVER;
    }
    return entries;
  });

const PROXY_PRESETS = ['loopback', 'linklocal', 'uniquelocal'];

/** Whether an entry names proxy addresses as proxy-addr (Fastify's trustProxy) reads them: an IP, an IP/prefix, or a preset. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_PRESETS.includes(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/**
 * TRUST_PROXY: `false` (default), a number of proxy hops in front of the app (`true` is one: the proxy
 * that connects to the app, whose appended X-Forwarded-For entry is the client), or a comma-separated
 * list of the proxies' addresses or CIDR ranges. Shaped for Fastify's trustProxy option.
 */
export const trustProxy = z
  .string()
  .default('false')
  .transform((value, ctx): false | number | string[] => {
    const v = value.trim().toLowerCase();
    if (['false', 'no', '0'].includes(v)) return false;
    if (['true', 'yes'].includes(v)) return 1;
    if (/^\d+$/.test(v)) {
      if (Number(v) <= 10) return Number(v);
      ctx.addIssue({ code: 'custom', message: 'must be at most 10 proxy hops' });
      return z.NEVER;
    }
    const entries = v.split(',').map((e) => e.trim()).filter(Boolean);
    const wrong = entries.find((entry) => !isProxyAddress(entry));
    if (wrong !== undefined || !entries.length) {
      ctx.addIssue({ code: 'custom', message: `"${wrong ?? value}" is not false, true, a number of hops or a proxy address or CIDR range` });
      return z.NEVER;
    }
    return entries;
  });

/**
 * A URL setting whose scheme must be one of the given ones (`redis`, `rediss`, …). The message names
 * the schemes and never quotes the value, which may hold a password or an API key.
 */
export function urlWithScheme(schemes: readonly string[], note = '') {
  const listed = schemes.map((s) => `${s}://`);
  const message = `must be a URL starting with ${listed.length > 1 ? `${listed.slice(0, -1).join(', ')} or ${listed.at(-1)}` : listed[0]}${note}`;
  return z.string().refine((value) => {
    try {
      return schemes.includes(new URL(value).protocol.slice(0, -1));
    } catch {
      return false;
    }
  }, message);
}

/**
 * A whole number written in digits only: Number() would read " " as 0 (PORT 0 is a random port),
 * "0x10" as 16, "1e3" as 1000, so those are refused rather than coerced. At least min.
 */
export function wholeNumber(min = 0, max = Number.MAX_SAFE_INTEGER) {
  return z
    .string()
    .regex(/^\d+$/, 'must be a whole number, digits only')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}
