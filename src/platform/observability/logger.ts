import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Config } from '../../config.js';

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

/** pino options shared by the process logger and Fastify's: level, redacted paths, the request serializer. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // originalUrl: the URL as asked for, also when rewriteUrl routed it elsewhere (a badly encoded one)
      req: (req: { id: string; method: string; url: string; originalUrl?: string; headers: Record<string, unknown>; ip?: string }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.originalUrl ?? req.url),
        headers: redactHeaders(req.headers),
        remoteAddress: req.ip,
      }),
    },
  };
}

const QUERY_PARAM = /([?&])([^=&#]*)=([^&#]*)/g;
/** A query parameter or header whose name holds one of these (any case, camelCase, snake_case or kebab-case) carries a secret. */
const SECRET_PARAM_NAME = /token|passw(?:or)?d|passphrase|secret|key|sig|code|auth|otp|jwt|session|credential|private|cookie|bearer/i;
/** Words too short to look for inside other words ("upward" holds "pw", "inside" "sid"): secret only as a whole word of the name. */
const SECRET_PARAM_WORDS = new Set(['pw', 'pwd', 'pass', 'sid', 'pin']);

/** Whether a query parameter's or header's name says it carries a secret (`refreshToken`, `api_key`, `pwd`, `connect.sid`, `x-auth-token`). */
export function isSecretName(name: string): boolean {
  if (SECRET_PARAM_NAME.test(name)) return true;
  const words = name.replace(/([a-z\d])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z\d]+/);
  return words.some((word) => SECRET_PARAM_WORDS.has(word));
}

/** A copy of request headers with the values of those whose name says they carry a secret replaced by "[redacted]". */
function redactHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, isSecretName(name) ? '[redacted]' : value]));
}

function paramName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** Strips secrets that a client put in a query string (token, refreshToken, api_key, password, pwd, sig, code, jwt, sid, …). */
export function redactUrl(url: string): string {
  return url.replace(QUERY_PARAM, (param: string, sep: string, name: string) => (isSecretName(paramName(name)) ? `${sep}${name}=[redacted]` : param));
}

/** A text a setting holds that must never be shown, and what stands in its place. */
export interface HiddenValue {
  text: string;
  label: string;
}

/** Settings whose URLs can carry a key or password (hosted RPCs put the key in the path or query). */
const SECRET_URL_SETTINGS = ['CHAIN_RPC_URL', 'DATABASE_URL', 'REDIS_URL', 'SMTP_URL'] as const;

/** The forms a URL takes in error messages: as configured, normalized, and without credentials or fragment. */
function urlForms(raw: string): string[] {
  const forms = [raw];
  try {
    const u = new URL(raw);
    forms.push(u.href, `${u.protocol}//${u.host}${u.pathname}${u.search}${u.hash}`, `${u.protocol}//${u.host}${u.pathname}${u.search}`);
  } catch {
    // not a URL: only the text as written is hidden
  }
  return forms;
}

/** The configured URL settings (CHAIN_RPC_URL, DATABASE_URL, …) in every form an error may quote them, longest first. */
export function configuredSecrets(config: Partial<Pick<Config, (typeof SECRET_URL_SETTINGS)[number]>>): HiddenValue[] {
  const hidden = new Map<string, string>();
  for (const name of SECRET_URL_SETTINGS) {
    const value = config[name];
    if (!value) continue;
    for (const text of urlForms(value)) if (!hidden.has(text)) hidden.set(text, `[redacted ${name}]`);
  }
  return [...hidden].map(([text, label]) => ({ text, label })).sort((a, b) => b.text.length - a.text.length);
}

/**
 * An error in one short line, safe to store or show: viem's shortMessage ("HTTP request failed.") or the
 * message's first line, never the URL and request viem quotes below it.
 */
export function shortErrorText(err: unknown): string {
  const e = err as { shortMessage?: unknown; message?: unknown } | null;
  return typeof e?.shortMessage === 'string' ? e.shortMessage : String(e?.message ?? err).split('\n')[0];
}

/** The text with every hidden value replaced by its label. */
export function hideSecrets(text: string, hidden: readonly HiddenValue[]): string {
  let out = text;
  for (const { text: secret, label } of hidden) if (out.includes(secret)) out = out.split(secret).join(label);
  return out;
}

/**
 * Where log lines go (stdout unless given), each line written with the hidden values replaced: an
 * error from viem quotes the RPC URL in its message, stack and fields, and so can a reason or detail
 * logged under any name, so the finished line is what is checked.
 */
export function logDestination(hidden: readonly HiddenValue[], destination: DestinationStream = pino.destination(1)): DestinationStream {
  if (!hidden.length) return destination;
  return { write: (line: string) => destination.write(hideSecrets(line, hidden)) };
}

/** A pino logger with redaction; lines never show the given hidden values (see configuredSecrets). */
export function createLogger(level: string, destination?: DestinationStream, hidden: readonly HiddenValue[] = []): Logger {
  return pino(loggerOptions(level), logDestination(hidden, destination));
}
