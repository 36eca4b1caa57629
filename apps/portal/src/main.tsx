import { StrictMode, useCallback, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError, Session, api, setActingTenant } from './api';
import { App } from './app';
import { ErrorNotice, Loading } from './components/ui';
import { toApiError } from './hooks';
import { SignIn } from './pages/sign-in';
import { PortalContext, SessionContext } from './session';
import 'uplot/dist/uPlot.min.css';
import './styles.css';

const TENANT_KEY = 'hookline.portal.tenant';

/** Exchanges the one-time token in the URL's fragment for the session cookie, and takes it out of the address bar. */
async function exchangeTokenInUrl(): Promise<void> {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!token) return;
  history.replaceState(null, '', location.pathname + location.search);
  await api('POST', '/portal-sessions/exchange', { body: { token } });
}

function Portal() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [tenantId, setTenantId] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      await exchangeTokenInUrl();
    } catch (e) {
      setError(toApiError(e));
    }
    try {
      const current = await api<Session>('GET', '/portal-sessions/current');
      const tenant = current.tenantId ?? sessionStorage.getItem(TENANT_KEY);
      setActingTenant(current.tenantId === null ? tenant : null);
      setTenantId(tenant);
      setSession(current);
    } catch (e) {
      const failure = toApiError(e);
      if (failure.status !== 401) setError(failure);
      setSession(null);
    }
  }, []);
  useEffect(() => void load(), [load]);

  const context = useMemo<PortalContext | null>(() => {
    if (!session) return null;
    const permissions = new Set(session.permissions);
    return {
      session,
      isHost: session.tenantId === null,
      tenantId,
      can: (p) => permissions.has(p),
      switchTenant: (next) => {
        if (next === null) sessionStorage.removeItem(TENANT_KEY);
        else sessionStorage.setItem(TENANT_KEY, next);
        setActingTenant(next);
        setTenantId(next);
      },
      signOut: () => {
        sessionStorage.removeItem(TENANT_KEY);
        void api('DELETE', '/portal-sessions/current').finally(() => {
          setActingTenant(null);
          setSession(null);
        });
      },
    };
  }, [session, tenantId]);

  if (session === undefined) return <Loading what="Opening the portal" />;
  if (!context) {
    return (
      <main className="signin-page">
        {error && <ErrorNotice error={error} />}
        <SignIn onSignedIn={() => void load()} />
      </main>
    );
  }
  return (
    <SessionContext.Provider value={context}>
      <App key={tenantId ?? ''} />
    </SessionContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Portal />
  </StrictMode>,
);
