import { useState } from 'react';
import { Link, useSearchParams } from 'wouter';
import { DeliveryState, EventSummary, Paged, Subscription, WebhookDefinition, api } from '../api';
import { DateTime, EmptyState, ErrorNotice, ListTable, Loading, PageHeader, Pager } from '../components/ui';
import { useLoad } from '../hooks';

const PAGE_SIZE = 25;
const STATES: DeliveryState[] = ['succeeded', 'failed', 'pending', 'abandoned'];

/** `2026-12-05T10:30` (a datetime-local input, local time) → ISO 8601; empty stays empty. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);

/** Events, newest first, filtered by endpoint, event type, delivery state and time; the filters live in the URL. */
export function Messages() {
  const [params, setParams] = useSearchParams();
  const [skip, setSkip] = useState(0);
  const filters = {
    endpoint: params.get('endpoint') ?? '',
    event: params.get('event') ?? '',
    state: params.get('state') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
  };
  const setFilter = (name: keyof typeof filters, value: string) => {
    setSkip(0);
    setParams((p) => {
      const next = new URLSearchParams(p);
      if (value) next.set(name, value);
      else next.delete(name);
      return next;
    });
  };
  const endpoints = useLoad(() => api<Paged<Subscription>>('GET', '/subscriptions', { query: { maxResultCount: 100 } }), []);
  const definitions = useLoad(() => api<Paged<WebhookDefinition>>('GET', '/definitions'), []);
  const events = useLoad(
    () =>
      api<Paged<EventSummary>>('GET', '/events', {
        query: {
          skipCount: skip,
          maxResultCount: PAGE_SIZE,
          subscriptionId: filters.endpoint,
          webhookName: filters.event,
          state: filters.state,
          creationTimeFrom: toIso(filters.from),
          creationTimeTo: toIso(filters.to),
        },
      }),
    [skip, params.toString()],
  );
  const filtered = Object.values(filters).some(Boolean);
  /** A filter picked from a list (`options`: value and text), or none. */
  const filterSelect = (name: 'endpoint' | 'event' | 'state', label: string, none: string, options: [string, string][]) => (
    <div>
      <label htmlFor={`filter-${name}`}>{label}</label>
      <select id={`filter-${name}`} value={filters[name]} onChange={(e) => setFilter(name, e.target.value)}>
        <option value="">{none}</option>
        {options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <>
      <PageHeader title="Message log" subtitle="Every event sent to your endpoints, and how each delivery went." />
      <div className="filters" role="search">
        {filterSelect(
          'endpoint',
          'Endpoint',
          'All endpoints',
          (endpoints.data?.items ?? []).map((s) => [s.id, s.webhookUri]),
        )}
        {filterSelect(
          'event',
          'Event type',
          'All event types',
          (definitions.data?.items ?? []).map((d) => [d.name, d.name]),
        )}
        {filterSelect(
          'state',
          'Delivery state',
          'Any state',
          STATES.map((s) => [s, s]),
        )}
        <div>
          <label htmlFor="filter-from">From</label>
          <input
            id="filter-from"
            type="datetime-local"
            value={filters.from}
            onChange={(e) => setFilter('from', e.target.value)}
          />
        </div>
        <div>
          <label htmlFor="filter-to">To</label>
          <input id="filter-to" type="datetime-local" value={filters.to} onChange={(e) => setFilter('to', e.target.value)} />
        </div>
        {filtered && (
          <button type="button" className="link" onClick={() => setParams(new URLSearchParams())}>
            Clear filters
          </button>
        )}
      </div>
      <ErrorNotice error={events.error} onRetry={events.reload} />
      {events.data === undefined ? (
        events.loading && <Loading />
      ) : events.data.items.length === 0 ? (
        filtered ? (
          <EmptyState title="No message matches these filters">Widen the time range or clear a filter.</EmptyState>
        ) : (
          <EmptyState title="No messages yet" action={<Link href="/endpoints">Go to endpoints</Link>}>
            Messages appear here as soon as an event is sent to one of your endpoints. Add an endpoint, or send it a test message.
          </EmptyState>
        )
      ) : (
        <>
          <ListTable columns={['Event type', 'Sent', 'Deliveries', 'Message id']}>
            {events.data.items.map((e) => (
              <tr key={e.id}>
                <td>
                  <Link href={`/messages/${e.id}`}>{e.webhookName}</Link>
                </td>
                <td>
                  <DateTime value={e.creationTime} />
                </td>
                <td>{e.deliveryCount}</td>
                <td>
                  <code className="small">{e.id}</code>
                </td>
              </tr>
            ))}
          </ListTable>
          <Pager skip={skip} pageSize={PAGE_SIZE} total={events.data.totalCount} onChange={setSkip} />
        </>
      )}
    </>
  );
}
