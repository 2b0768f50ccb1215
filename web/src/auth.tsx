import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, ApiError, hasRefreshToken, onAccessToken, refreshSession, setTokens, REFRESH_KEY, type TokenPair } from './api';
import { isLocale, switchLocale, currentLocale } from './i18n';
import { normalizeUser, type User } from './model';
import { browserTimeZone, timeZoneToAdopt } from './timezone';

type Status = 'loading' | 'anonymous' | 'signed-in';

interface AuthState {
  status: Status;
  user: User | null;
  /** The session ended under the user (its refresh token refused: signed out elsewhere, disabled, expired), not by Sign out. */
  sessionEnded: boolean;
  signIn(body: { email: string; password: string; code?: string }): Promise<void>;
  signUp(body: { email: string; password: string; name: string; locale: string }): Promise<void>;
  signOut(): Promise<void>;
  reloadUser(): Promise<User | null>;
}

const AuthContext = createContext<AuthState | null>(null);

interface AuthAnswer extends Partial<TokenPair> {
  user?: unknown;
  tokens?: TokenPair;
}

function pairOf(body: AuthAnswer): TokenPair {
  const pair = body.tokens ?? body;
  if (!pair.accessToken || !pair.refreshToken) throw new Error('no tokens in answer');
  return { accessToken: pair.accessToken, refreshToken: pair.refreshToken };
}

/** Keeps the session: restores it from the refresh token on load, follows sign-outs in other tabs. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>(hasRefreshToken() ? 'loading' : 'anonymous');
  const [user, setUser] = useState<User | null>(null);
  const [sessionEnded, setSessionEnded] = useState(false);
  const queryClient = useQueryClient();
  const statusRef = useRef(status);
  statusRef.current = status;
  const signingOut = useRef(false);

  const reloadUser = useCallback(async () => {
    const me = normalizeUser(await api('/me'));
    setUser(me);
    setStatus('signed-in');
    if (me.locale && isLocale(me.locale) && me.locale !== currentLocale()) await switchLocale(me.locale);
    return me;
  }, []);

  /** Streak days are counted in the profile's zone: a new or never-set profile gets the browser's. */
  const adoptTimeZone = useCallback(
    async (me: User) => {
      const timezone = timeZoneToAdopt(me, browserTimeZone());
      if (!timezone) return;
      await api('/me', { method: 'PATCH', body: { timezone } });
      await reloadUser();
    },
    [reloadUser],
  );

  useEffect(() => {
    if (!hasRefreshToken()) return;
    let cancelled = false;
    (async () => {
      const ok = await refreshSession();
      if (cancelled) return;
      if (!ok) {
        setStatus('anonymous');
        return;
      }
      try {
        const me = await reloadUser();
        if (!cancelled) await adoptTimeZone(me).catch(() => undefined);
      } catch {
        if (!cancelled) setStatus(hasRefreshToken() ? 'signed-in' : 'anonymous');
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [reloadUser, adoptTimeZone]);

  useEffect(() => {
    const onStorage = (e: StorageEvent) => {
      if (e.key === REFRESH_KEY && !e.newValue) {
        setTokens(null);
        setUser(null);
        setStatus('anonymous');
        queryClient.clear();
      }
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [queryClient]);

  // A refused refresh (the account disabled by an admin, its sessions revoked) clears the tokens: the open tab
  // goes to the sign-in screen, which says why, instead of staying on screens whose every request now fails.
  useEffect(
    () =>
      onAccessToken((token) => {
        if (token || hasRefreshToken() || signingOut.current || statusRef.current !== 'signed-in') return;
        setUser(null);
        setStatus('anonymous');
        setSessionEnded(true);
        queryClient.clear();
      }),
    [queryClient],
  );

  const accept = useCallback(
    async (body: AuthAnswer) => {
      setSessionEnded(false);
      setTokens(pairOf(body));
      queryClient.clear();
      if (body.user) {
        setUser(normalizeUser(body.user));
        setStatus('signed-in');
      }
      const me = await reloadUser().catch(() => null);
      if (me) await adoptTimeZone(me).catch(() => undefined);
    },
    [queryClient, reloadUser, adoptTimeZone],
  );

  const value = useMemo<AuthState>(
    () => ({
      status,
      user,
      sessionEnded,
      reloadUser,
      async signIn(body) {
        const payload: Record<string, string> = { email: body.email, password: body.password };
        if (body.code) payload[/^\d{6}$/.test(body.code) ? 'totpCode' : 'recoveryCode'] = body.code;
        await accept(await api<AuthAnswer>('/auth/login', { body: payload, anonymous: true }));
      },
      async signUp(body) {
        // streak days start at the user's own midnight from the first day; a zone the server does not
        // know (a browser's newer zone data) must not stop the sign-up, which then goes without it
        const timezone = browserTimeZone();
        const register = (b: object) => api<AuthAnswer>('/auth/register', { body: b, anonymous: true });
        const answer = timezone
          ? await register({ ...body, timezone }).catch((err: unknown) => {
              if (err instanceof ApiError && err.problem.errors?.some((e) => e.field === 'body.timezone')) return register(body);
              throw err;
            })
          : await register(body);
        await accept(answer);
      },
      async signOut() {
        const refreshToken = localStorage.getItem(REFRESH_KEY);
        try {
          if (refreshToken) await api('/auth/logout', { method: 'POST', body: {} });
        } catch {
          // the local session ends even when the server cannot be told
        }
        signingOut.current = true;
        try {
          setTokens(null);
        } finally {
          signingOut.current = false;
        }
        setUser(null);
        setStatus('anonymous');
        queryClient.clear();
      },
    }),
    [status, user, sessionEnded, reloadUser, accept, queryClient],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}
