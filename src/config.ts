import { z } from 'zod';
import { originList, trustProxy, urlWithScheme, wholeNumber } from './config.parse.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (def: number, min = 0) => wholeNumber(min).default(def);
const httpUrl = urlWithScheme(['http', 'https']);
const redisPrefix = z.string().regex(/^[\w:.-]{1,64}$/, 'must be 1-64 characters of letters, digits, _ : . -');

/** Every setting StreakPets reads, validated once at start-up. README documents each one. */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: wholeNumber(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: httpUrl.optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  ROLE: z.enum(['api', 'worker', 'all']).default('all'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: urlWithScheme(['postgres', 'postgresql']).optional(),
  DB_POOL_MAX: int(20, 1),
  CHAIN_RPC_URL: urlWithScheme(['http', 'https'], ' (JSON-RPC over HTTP; WebSocket endpoints are not supported)').optional(),
  REDIS_URL: urlWithScheme(['redis', 'rediss']).optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  WALLET_MASTER_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes)')
    .optional(),
  TRUST_PROXY: trustProxy,
  BODY_LIMIT_BYTES: int(1_048_576, 1024),
  CORS_ORIGINS: originList,
  RATE_LIMIT_STRICT: int(10, 1),
  RATE_LIMIT_MODERATE: int(30, 1),
  RATE_LIMIT_LENIENT: int(100, 1),
  RATE_LIMIT_WINDOW_MS: int(60_000, 1000),
  IDEMPOTENCY_TTL_HOURS: int(24, 1),
  MAX_EVENT_LOOP_DELAY_MS: int(1000, 0),
  MAX_HEAP_USED_BYTES: int(0, 0),
  SHUTDOWN_TIMEOUT_MS: int(15_000, 1000),
  METRICS_ENABLED: bool.default(true),
  ACCESS_TOKEN_TTL_SECONDS: int(900, 60),
  REFRESH_TOKEN_TTL_DAYS: int(30, 1),
  SMTP_URL: urlWithScheme(['smtp', 'smtps']).optional(),
  MAIL_FROM: z.string().default('StreakPets <no-reply@streakpets.local>'),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: httpUrl.optional(),
  OPENAI_MODEL: z.string().default('gpt-4o-mini'),
  OPENAI_TIMEOUT_MS: int(15_000, 100),
  CONFIRMATIONS: wholeNumber(0).optional(),
  REPLACE_STUCK_AFTER_SECONDS: int(180, 1),
  MAX_FEE_PER_GAS_GWEI: z.string().regex(/^\d{1,9}(\.\d{1,9})?$/, 'must be a decimal amount of gwei').refine((v) => Number(v) > 0, 'must be more than 0').default('100'),
  TOKEN_ADDRESS: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x address').optional(),
  BATCH_TRANSFER_ADDRESS: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x address').optional(),
  TREASURY_PRIVATE_KEY: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 0x-prefixed 32-byte hex key').optional(),
  UNVERIFIED_DAILY_LIMIT: z.string().regex(/^\d+(\.\d{1,6})?$/, 'must be a decimal amount').default('1000'),
  ACTIVITY_RETENTION_DAYS: int(90, 1),
  REDIS_PREFIX: redisPrefix.default('streakpets'),
  REALTIME_REDIS_PREFIX: redisPrefix.optional(),
  NOTIFICATION_TTL_DAYS: int(90, 1),
  NOTIFICATION_EMAIL_WINDOW_MINUTES: int(60, 1),
});

export type Config = z.infer<typeof configSchema>;

/** Settings production cannot do without: without them mail to users is lost or links lead nowhere. */
const PRODUCTION_REQUIRED = ['SMTP_URL', 'PUBLIC_URL'] as const;
const PRODUCTION_REASONS: Record<(typeof PRODUCTION_REQUIRED)[number], string> = {
  SMTP_URL: 'without it verification and password-reset mail would go nowhere',
  PUBLIC_URL: 'the links in mail are built from it',
};

export class ConfigError extends Error {}

/** Parses the environment into a Config; throws ConfigError with a one-line message naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv): Config {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const roleArg = argv.findIndex((a) => a === '--role' || a.startsWith('--role='));
  if (roleArg >= 0) {
    const a = argv[roleArg];
    const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[roleArg + 1];
    if (value === undefined || value.startsWith('-')) throw new ConfigError('Invalid setting --role: needs a value (api, worker or all)');
    input.ROLE = value;
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0] ?? 'config');
    const shown = name === 'ROLE' && roleArg >= 0 ? '--role' : name;
    throw new ConfigError(`Invalid setting ${shown}: ${issue.message}`);
  }
  const missing = PRODUCTION_REQUIRED.find((name) => parsed.data.NODE_ENV === 'production' && !parsed.data[name]);
  if (missing) throw new ConfigError(`Invalid setting ${missing}: required when NODE_ENV=production (${PRODUCTION_REASONS[missing]})`);
  return parsed.data;
}
