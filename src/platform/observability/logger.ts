import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/** Paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.secret',
  '*.privateKey',
  '*.mnemonic',
  '*.apiKey',
  '*.totpCode',
  '*.recoveryCode',
  '*.authorization',
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'privateKey',
  'secret',
  'apiKey',
];

/** Field names whose values are secrets wherever they appear (the last segment of REDACT_PATHS, any case). */
const SECRET_KEYS = new Set(REDACT_PATHS.map((p) => p.split('.').pop()!.toLowerCase()).filter((k) => /^[a-z]+$/.test(k)));

/** A copy of client-supplied JSON with the values of secret-named fields (any depth) replaced by "[redacted]". */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.has(k.toLowerCase()) ? '[redacted]' : redactSecrets(v)]));
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { id: string; method: string; url: string; headers: Record<string, unknown>; ip?: string }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        headers: { ...req.headers },
        remoteAddress: req.ip,
      }),
    },
  };
}

const SECRET_QUERY = /([?&](?:token|access_token|refresh_token|code|key|secret)=)[^&]*/gi;

/** Strips secrets that a client put in a query string. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[redacted]');
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
