import { ConfigError } from '../../config.js';
import { unreachableDependency } from '../http/http.dependencies.js';
import { configuredSecrets, hideSecrets, shortErrorText } from '../observability/logger.js';

/** The host of a URL (never its credentials, path or query, where hosted RPCs put their key), or null. */
function hostOf(url: string): string | null {
  try {
    return new URL(url).host || null;
  } catch {
    return null;
  }
}

/** The socket error under a failure ("ECONNREFUSED"), which viem's short message leaves out. */
function socketCode(err: unknown): string | null {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 8; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^E[A-Z_]+$/.test(e.code)) return e.code;
  }
  return null;
}

/** What could not be reached, as the operator configured it: the setting's name, or the embedded service used instead. */
function unreachable(err: unknown, env: NodeJS.ProcessEnv): string | null {
  const down = unreachableDependency(err);
  if (down === 'database_unavailable') return env.DATABASE_URL ? 'DATABASE_URL' : 'the embedded PostgreSQL';
  if (down !== 'chain_unavailable') return null;
  if (!env.CHAIN_RPC_URL) return 'the embedded chain';
  const host = hostOf(env.CHAIN_RPC_URL);
  return host ? `CHAIN_RPC_URL (${host})` : 'CHAIN_RPC_URL';
}

/**
 * The one line a command prints on stderr when it fails: the error's first line, led by the setting
 * that could not be reached when the database or the chain did not answer ("cannot reach DATABASE_URL:
 * connect ECONNREFUSED 127.0.0.1:5432"). The configured URLs never appear in it, nor their credentials.
 */
export function failureLine(err: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const hidden = configuredSecrets({ CHAIN_RPC_URL: env.CHAIN_RPC_URL, DATABASE_URL: env.DATABASE_URL, REDIS_URL: env.REDIS_URL, SMTP_URL: env.SMTP_URL });
  let text = err instanceof ConfigError ? err.message : shortErrorText(err);
  const where = err instanceof ConfigError ? null : unreachable(err, env);
  const code = where ? socketCode(err) : null;
  if (code && !text.includes(code)) text = `${text} (${code})`;
  return `streakpets: ${hideSecrets(where ? `cannot reach ${where}: ${text}` : text, hidden)}`;
}
