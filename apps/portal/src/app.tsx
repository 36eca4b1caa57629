import type { ReactNode } from 'react';
import { Link, Redirect, Route, Router, Switch, useLocation } from 'wouter';
import { Permissions } from './api';
import { TenantSwitcher } from './components/tenant-switcher';
import { ApiKeys } from './pages/api-keys';
import { Catalog } from './pages/catalog';
import { EndpointDetail } from './pages/endpoint-detail';
import { EndpointForm } from './pages/endpoint-form';
import { Endpoints } from './pages/endpoints';
import { MessageDetail } from './pages/message-detail';
import { Messages } from './pages/messages';
import { Queue } from './pages/queue';
import { Recovery } from './pages/recovery';
import { Tenants } from './pages/tenants';
import { usePortal } from './session';

export function App() {
  const { isHost } = usePortal();
  return (
    <Router base="/portal">
      <Shell>
        <Switch>
          <Route path="/endpoints" component={Endpoints} />
          <Route path="/endpoints/new">{() => <EndpointForm />}</Route>
          <Route path="/endpoints/:id/edit">{(p) => <EndpointForm id={p.id} />}</Route>
          <Route path="/endpoints/:id">{(p) => <EndpointDetail id={p.id} />}</Route>
          <Route path="/messages" component={Messages} />
          <Route path="/messages/:id">{(p) => <MessageDetail id={p.id} />}</Route>
          <Route path="/recovery" component={Recovery} />
          <Route path="/catalog" component={Catalog} />
          {isHost && <Route path="/tenants" component={Tenants} />}
          {isHost && <Route path="/api-keys" component={ApiKeys} />}
          {isHost && <Route path="/queue" component={Queue} />}
          <Route>
            <Redirect to="/endpoints" replace />
          </Route>
        </Switch>
      </Shell>
    </Router>
  );
}

function Shell({ children }: { children: ReactNode }) {
  const { isHost, can, signOut, tenantId } = usePortal();
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Webhooks</span>
        {isHost ? <TenantSwitcher /> : <span className="muted tenant-name">{tenantId}</span>}
        <button type="button" className="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <div className="layout">
        <nav className="sidenav" aria-label="Sections">
          <NavLink href="/endpoints">Endpoints</NavLink>
          {can(Permissions.SendAttempts) && <NavLink href="/messages">Message log</NavLink>}
          {can(Permissions.SendAttempts) && <NavLink href="/recovery">Recovery</NavLink>}
          {can(Permissions.Definitions) && <NavLink href="/catalog">Event catalog</NavLink>}
          {isHost && (
            <>
              <p className="nav-group">Host</p>
              <NavLink href="/tenants">Tenants</NavLink>
              {can(Permissions.ApiKeys) && <NavLink href="/api-keys">API keys</NavLink>}
              <NavLink href="/queue">Queue</NavLink>
            </>
          )}
        </nav>
        <main id="main" className="content">
          {children}
        </main>
      </div>
    </div>
  );
}

function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const [location] = useLocation();
  const active = location === href || location.startsWith(`${href}/`);
  return (
    <Link href={href} className={active ? 'active' : undefined} aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  );
}
