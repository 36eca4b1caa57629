import { useState } from 'react';
import { Link } from 'wouter';
import { Paged, Permissions, Subscription, api } from '../api';
import { DateTime, EmptyState, ErrorNotice, ListTable, Loading, PageHeader, Pager } from '../components/ui';
import { useLoad } from '../hooks';
import { usePortal } from '../session';

const PAGE_SIZE = 20;

export function Endpoints() {
  const { can } = usePortal();
  const [skip, setSkip] = useState(0);
  const [search, setSearch] = useState('');
  const list = useLoad(
    () =>
      api<Paged<Subscription>>('GET', '/subscriptions', {
        query: { skipCount: skip, maxResultCount: PAGE_SIZE, webhookUri: search.trim() || undefined },
      }),
    [skip, search],
  );
  const add = can(Permissions.SubscriptionsCreate) && (
    <Link href="/endpoints/new" className="button primary">
      Add endpoint
    </Link>
  );
  return (
    <>
      <PageHeader title="Endpoints" subtitle="Where your webhooks are sent." actions={add} />
      <div className="filters">
        <label htmlFor="endpoint-search">Search by URL</label>
        <input
          id="endpoint-search"
          type="search"
          value={search}
          placeholder="e.g. example.com"
          onChange={(e) => {
            setSearch(e.target.value);
            setSkip(0);
          }}
        />
      </div>
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.data === undefined ? (
        list.loading && <Loading />
      ) : list.data.items.length === 0 ? (
        search ? (
          <EmptyState title="No endpoint matches">Try another part of the URL, or clear the search.</EmptyState>
        ) : (
          <EmptyState title="No endpoints yet" action={add}>
            Add an endpoint: a URL of yours that receives the events you choose, signed so you can check they come from us.
          </EmptyState>
        )
      ) : (
        <>
          <ListTable columns={['URL', 'Events', 'Status', 'Created']}>
            {list.data.items.map((s) => (
              <tr key={s.id}>
                <td className="url">
                  <Link href={`/endpoints/${s.id}`}>{s.webhookUri}</Link>
                  {s.description && <div className="muted small">{s.description}</div>}
                </td>
                <td>{s.webhooks.join(', ')}</td>
                <td>
                  <EndpointStatus subscription={s} />
                </td>
                <td>
                  <DateTime value={s.creationTime} />
                </td>
              </tr>
            ))}
          </ListTable>
          <Pager skip={skip} pageSize={PAGE_SIZE} total={list.data.totalCount} onChange={setSkip} />
        </>
      )}
    </>
  );
}

export function EndpointStatus({ subscription }: { subscription: Subscription }) {
  if (subscription.isActive) {
    return subscription.consecutiveFailureCount > 0 ? (
      <span className="badge failing">failing ({subscription.consecutiveFailureCount} in a row)</span>
    ) : (
      <span className="badge succeeded">active</span>
    );
  }
  return <span className="badge disabled">disabled</span>;
}
