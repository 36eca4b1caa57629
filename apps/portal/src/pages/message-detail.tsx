import { Link } from 'wouter';
import { Delivery, EventDetail, Paged, Permissions, SendAttempt, Subscription, api } from '../api';
import { CodeBlock, DateTime, ErrorNotice, HeadersTable, Loading, PageHeader, StateBadge } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { usePortal } from '../session';

/** One event: its data, and each delivery with every attempt (request, response, duration). */
export function MessageDetail({ id }: { id: string }) {
  const event = useLoad(() => api<EventDetail>('GET', `/events/${id}`), [id]);
  const attempts = useLoad(
    () =>
      api<Paged<SendAttempt>>('GET', '/send-attempts', {
        query: { webhookEventId: id, maxResultCount: 1000, sorting: 'creationTime asc' },
      }),
    [id],
  );
  const endpoints = useLoad(() => api<Paged<Subscription>>('GET', '/subscriptions', { query: { maxResultCount: 1000 } }), []);
  const reload = () => {
    event.reload();
    attempts.reload();
  };

  const e = event.data;
  if (!e) return event.error ? <ErrorNotice error={event.error} onRetry={event.reload} /> : <Loading />;
  const uriOf = (subscriptionId: string) =>
    endpoints.data?.items.find((s) => s.id === subscriptionId)?.webhookUri ?? subscriptionId;
  return (
    <>
      <PageHeader
        title={e.webhookName}
        subtitle={
          <>
            <DateTime value={e.creationTime} /> · <code>{e.id}</code>
          </>
        }
        actions={
          <Link href="/messages" className="button">
            Back to the log
          </Link>
        }
      />
      <section className="card" aria-labelledby="payload">
        <h2 id="payload">Event data</h2>
        <CodeBlock label="Event data" text={JSON.stringify(e.data, null, 2)} />
      </section>
      <ErrorNotice error={attempts.error} onRetry={attempts.reload} />
      <h2>Deliveries</h2>
      {e.deliveries.length === 0 && <p className="muted">No endpoint subscribed to this event when it was sent.</p>}
      {e.deliveries.map((d) => (
        <DeliveryCard
          key={d.id}
          delivery={d}
          endpoint={uriOf(d.subscriptionId)}
          attempts={(attempts.data?.items ?? []).filter((a) => a.deliveryId === d.id)}
          event={e}
          onChanged={reload}
        />
      ))}
    </>
  );
}

function DeliveryCard({
  delivery,
  endpoint,
  attempts,
  event,
  onChanged,
}: {
  delivery: Delivery;
  endpoint: string;
  attempts: SendAttempt[];
  event: EventDetail;
  onChanged: () => void;
}) {
  const { can } = usePortal();
  const last = attempts[attempts.length - 1];
  const resend = useAction(async () => {
    await api('POST', `/send-attempts/${last.id}/resend`);
    onChanged();
  });
  return (
    <section className="card delivery" aria-label={`Delivery to ${endpoint}`}>
      <div className="delivery-head">
        <div>
          <Link href={`/endpoints/${delivery.subscriptionId}`} className="url">
            {endpoint}
          </Link>
          <div className="muted small">
            {delivery.attemptCount} attempt{delivery.attemptCount === 1 ? '' : 's'}
            {delivery.nextAttemptAt && (
              <>
                {' '}
                · next <DateTime value={delivery.nextAttemptAt} />
              </>
            )}
          </div>
        </div>
        <div className="actions">
          <StateBadge state={delivery.state} />
          {last && can(Permissions.Resend) && (
            <button type="button" onClick={() => void resend.run()} disabled={resend.busy}>
              {resend.busy ? 'Resending…' : 'Resend'}
            </button>
          )}
        </div>
      </div>
      <ErrorNotice error={resend.error} />
      {attempts.length === 0 && <p className="muted">Not attempted yet.</p>}
      {attempts.map((a) => (
        <AttemptDetail key={a.id} attempt={a} event={event} />
      ))}
    </section>
  );
}

function AttemptDetail({ attempt: a, event }: { attempt: SendAttempt; event: EventDetail }) {
  return (
    <details className="attempt">
      <summary>
        <span className={`badge ${a.succeeded ? 'succeeded' : 'failed'}`}>
          {a.responseStatusCode !== null ? `HTTP ${a.responseStatusCode}` : 'no answer'}
        </span>{' '}
        Attempt {a.attemptNumber} · {a.durationMs} ms · <DateTime value={a.creationTime} />
      </summary>
      {a.error && <p className="notice error">{a.error}</p>}
      <div className="attempt-grid">
        <div>
          <h3>Request headers</h3>
          <HeadersTable headers={a.requestHeaders} label="Request headers" />
          <h3>Request body</h3>
          <CodeBlock label="Request body" text={requestBody(event, a.attemptNumber)} />
        </div>
        <div>
          <h3>Response headers</h3>
          <HeadersTable headers={a.responseHeaders} label="Response headers" />
          <h3>Response body</h3>
          {a.response ? <CodeBlock label="Response body" text={a.response} /> : <p className="muted">Empty.</p>}
        </div>
      </div>
    </details>
  );
}

/** What the attempt POSTed: the envelope around the data, or the data alone when the event asked for that. */
function requestBody(event: EventDetail, attempt: number): string {
  const body = event.sendExactSameData
    ? event.data
    : { id: event.id, webhookEvent: event.webhookName, attempt, data: event.data, creationTimeUtc: event.creationTime };
  return JSON.stringify(body, null, 2);
}
