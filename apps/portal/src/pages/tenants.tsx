import { useState } from 'react';
import { useLocation } from 'wouter';
import { api } from '../api';
import { EmptyState, ErrorNotice, Loading, PageHeader, Pager } from '../components/ui';
import { useLoad } from '../hooks';
import { usePortal } from '../session';

interface TenantOverview {
  tenantId: string;
  subscriptions: number;
  activeSubscriptions: number;
  events: number;
  failedDeliveries: number;
  pendingDeliveries: number;
}

const PAGE_SIZE = 25;

/** The host's tenants with their endpoints and the last day's traffic; opening one switches to it. */
export function Tenants() {
  const { switchTenant } = usePortal();
  const [, navigate] = useLocation();
  const [skip, setSkip] = useState(0);
  const tenants = useLoad(
    () =>
      api<{ totalCount: number; items: TenantOverview[] }>('GET', '/tenants', {
        query: { hours: 24, skipCount: skip, maxResultCount: PAGE_SIZE },
      }),
    [skip],
  );
  return (
    <>
      <PageHeader title="Tenants" subtitle="Every tenant with an endpoint or an event; traffic of the last 24 hours." />
      <ErrorNotice error={tenants.error} onRetry={tenants.reload} />
      {!tenants.data ? (
        tenants.loading && <Loading />
      ) : tenants.data.items.length === 0 ? (
        <EmptyState title="No tenants yet">
          A tenant appears here once it has an endpoint or an event was published for it.
        </EmptyState>
      ) : (
        <>
          <table className="list">
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">Endpoints (active)</th>
                <th scope="col">Events</th>
                <th scope="col">Failed deliveries</th>
                <th scope="col">Pending</th>
                <th scope="col">
                  <span className="visually-hidden">Open</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tenants.data.items.map((t) => (
                <tr key={t.tenantId}>
                  <td>
                    <code>{t.tenantId}</code>
                  </td>
                  <td>
                    {t.subscriptions} ({t.activeSubscriptions})
                  </td>
                  <td>{t.events}</td>
                  <td>{t.failedDeliveries > 0 ? <span className="badge failed">{t.failedDeliveries}</span> : 0}</td>
                  <td>{t.pendingDeliveries}</td>
                  <td>
                    <button
                      type="button"
                      onClick={() => {
                        switchTenant(t.tenantId);
                        navigate('/endpoints');
                      }}
                    >
                      Open <span className="visually-hidden">{t.tenantId}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager skip={skip} pageSize={PAGE_SIZE} total={tenants.data.totalCount} onChange={setSkip} />
        </>
      )}
    </>
  );
}
