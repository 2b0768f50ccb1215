/** HTTP client for /api/v1: access token in memory, refresh token in localStorage, silent refresh on 401. */

export const REFRESH_KEY = 'streakpets.refreshToken';
const BASE = '/api/v1';

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code: string;
  errors?: { field: string; message: string; code?: string }[];
  [key: string]: unknown;
}

/** A problem+json answer (or a network failure, code "network"). */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title || problem.code);
  }
  get status(): number {
    return this.problem.status;
  }
  get code(): string {
    return this.problem.code;
  }
}

let accessToken: string | null = null;
let locale = 'en';
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<(token: string | null) => void>();

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

export function getAccessToken(): string | null {
  return accessToken;
}

export function hasRefreshToken(): boolean {
  return !!localStorage.getItem(REFRESH_KEY);
}

/** Seconds until an access token's exp, read from its payload only to time the next refresh (the server verifies it). */
export function secondsLeft(token: string, nowMs = Date.now()): number | null {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp - nowMs / 1000 : null;
  } catch {
    return null;
  }
}

let renewal: ReturnType<typeof setTimeout> | undefined;

/**
 * Refreshes the session shortly before the access token expires (a fifth of its life, at most a minute,
 * and a few random seconds so two tabs rarely refresh together), so requests never meet a 401 and the
 * socket gets its new token by auth:refresh instead of being dropped at expiry.
 */
function renewBeforeExpiry(token: string | null): void {
  clearTimeout(renewal);
  const left = token ? secondsLeft(token) : null;
  if (left === null) return;
  const lead = Math.min(60, left / 5) + Math.random() * 5;
  renewal = setTimeout(() => void refreshSession(), Math.max(1, left - lead) * 1000);
}

/** Stores a fresh token pair (or clears both) and tells subscribers (the socket) about the new access token. */
export function setTokens(pair: TokenPair | null): void {
  accessToken = pair?.accessToken ?? null;
  if (pair) localStorage.setItem(REFRESH_KEY, pair.refreshToken);
  else localStorage.removeItem(REFRESH_KEY);
  renewBeforeExpiry(accessToken);
  for (const l of listeners) l(accessToken);
}

export function onAccessToken(listener: (token: string | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function setApiLocale(value: string): void {
  locale = value;
}

/** Trades the stored refresh token for a new pair; one refresh at a time, shared by concurrent callers. */
export function refreshSession(): Promise<boolean> {
  if (refreshing) return refreshing;
  const refreshToken = localStorage.getItem(REFRESH_KEY);
  if (!refreshToken) return Promise.resolve(false);
  refreshing = (async () => {
    try {
      const res = await fetch(`${BASE}/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-locale': locale },
        body: JSON.stringify({ refreshToken }),
      });
      if (!res.ok) {
        if (res.status === 400 || res.status === 401 || res.status === 403 || res.status === 422) setTokens(null);
        return false;
      }
      const body = (await res.json()) as Partial<TokenPair> & { tokens?: TokenPair };
      const pair = body.tokens ?? body;
      if (!pair.accessToken || !pair.refreshToken) return false;
      setTokens({ accessToken: pair.accessToken, refreshToken: pair.refreshToken });
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  idempotencyKey?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Skip the Authorization header and the refresh-on-401 retry (sign-in, sign-up). */
  anonymous?: boolean;
}

export function apiUrl(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return `${BASE}${path}${qs ? `?${qs}` : ''}`;
}

async function problemFrom(res: Response): Promise<ApiError> {
  let body: Partial<Problem> = {};
  try {
    body = (await res.json()) as Partial<Problem>;
  } catch {
    body = {};
  }
  return new ApiError({ ...body, status: res.status, code: body.code ?? `http_${res.status}` } as Problem);
}

export function buildHeaders(options: RequestOptions): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json', 'x-locale': locale, ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  if (!options.anonymous && accessToken) headers.authorization = `Bearer ${accessToken}`;
  return headers;
}

/** Sends a request; on 401 refreshes the session once and retries. */
export async function rawRequest(path: string, options: RequestOptions = {}): Promise<Response> {
  const send = () =>
    fetch(apiUrl(path, options.query), {
      method: options.method ?? (options.body !== undefined ? 'POST' : 'GET'),
      headers: buildHeaders(options),
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
      signal: options.signal,
    });
  let res: Response;
  try {
    if (!options.anonymous && !accessToken && hasRefreshToken()) await refreshSession();
    res = await send();
    if (res.status === 401 && !options.anonymous && hasRefreshToken() && (await refreshSession())) res = await send();
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError({ status: 0, code: 'network', detail: (err as Error).message });
  }
  if (!res.ok) throw await problemFrom(res);
  return res;
}

export async function api<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
  const res = await rawRequest(path, options);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A fresh UUID for Idempotency-Key (works outside secure contexts too). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
