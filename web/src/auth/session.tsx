/**
 * The staff session: access token (kept for the browser tab only), who is logged in, and the
 * re-login dialog shown over the current page when the session expires.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { client, connectSession, ok } from '../api/client';
import type { paths } from '../api/schema';

type Me = paths['/api/v1/auth/me']['get']['responses']['200']['content']['application/json'];
export type Role = Me['roles'][number];

export interface LoginInput {
  readonly username: string;
  readonly password: string;
  readonly totp?: string;
}

interface SessionState {
  readonly token: string | null;
  readonly me: Me | null;
  /** True while a request waits for the person to log in again. */
  readonly reauthenticating: boolean;
  login(input: LoginInput): Promise<void>;
  logout(): Promise<void>;
  hasRole(...roles: Role[]): boolean;
  /** Closes the re-login dialog without logging in; waiting requests fail. */
  abandonReauth(): void;
}

const tokenKey = 'tongban.session';
const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem(tokenKey));
  const [me, setMe] = useState<Me | null>(null);
  const [reauthenticating, setReauthenticating] = useState(false);
  const tokenRef = useRef(token);
  const waiting = useRef<{ resolve: () => void; reject: (error: Error) => void }[]>([]);

  const storeToken = useCallback((value: string | null) => {
    tokenRef.current = value;
    if (value) sessionStorage.setItem(tokenKey, value);
    else sessionStorage.removeItem(tokenKey);
    setToken(value);
  }, []);

  useEffect(() => {
    connectSession({
      token: () => tokenRef.current,
      reauthenticate: () =>
        new Promise<void>((resolve, reject) => {
          waiting.current.push({ resolve, reject });
          setReauthenticating(true);
        }),
    });
  }, []);

  useEffect(() => {
    if (!token) {
      setMe(null);
      return;
    }
    let cancelled = false;
    ok(client.GET('/api/v1/auth/me'))
      .then((value) => {
        if (!cancelled) setMe(value);
      })
      .catch(() => {
        if (!cancelled) storeToken(null);
      });
    return () => {
      cancelled = true;
    };
  }, [token, storeToken]);

  const login = useCallback(
    async (input: LoginInput) => {
      const result = await ok(
        client.POST('/api/v1/auth/login', {
          body: { username: input.username, password: input.password, ...(input.totp ? { totp: input.totp } : {}) },
        }),
      );
      storeToken(result.accessToken);
      setReauthenticating(false);
      for (const waiter of waiting.current.splice(0)) waiter.resolve();
    },
    [storeToken],
  );

  const logout = useCallback(async () => {
    try {
      await client.POST('/api/v1/auth/logout');
    } finally {
      storeToken(null);
    }
  }, [storeToken]);

  const abandonReauth = useCallback(() => {
    setReauthenticating(false);
    for (const waiter of waiting.current.splice(0)) waiter.reject(new Error('login abandoned'));
  }, []);

  const value = useMemo<SessionState>(
    () => ({
      token,
      me,
      reauthenticating,
      login,
      logout,
      abandonReauth,
      hasRole: (...roles) => !!me && roles.some((role) => me.roles.includes(role)),
    }),
    [token, me, reauthenticating, login, logout, abandonReauth],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
