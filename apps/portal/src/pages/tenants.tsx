import { useState } from 'react';
import { useLocation } from 'wouter';
import type { TenantOverview } from '../../../../libs/webhooks-management/src/domain/ports/webhook-stats.store';
import { api } from '../api';
import { EmptyState, ErrorNotice, ListTable, Loading, PageHeader, Pager } from '../components/ui';
import { useLoad } from '../hooks';
import { usePortal } from '../session';

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
          <ListTable columns={['Tenant', 'Endpoints (active)', 'Events', 'Failed deliveries', 'Pending', { hidden: 'Open' }]}>
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
          </ListTable>
          <Pager skip={skip} pageSize={PAGE_SIZE} total={tenants.data.totalCount} onChange={setSkip} />
        </>
      )}
    </>
  );
}
