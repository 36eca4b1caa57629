import { FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'wouter';
import { Paged, Permissions, Subscription, api } from '../api';
import { EmptyState, ErrorNotice, Loading, PageHeader } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { usePortal } from '../session';

const DAY_MS = 86_400_000;
/** `datetime-local` value of a time (local time, to the minute). */
const toLocalInput = (date: Date) => new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

/** Sends messages again: the failed ones of an endpoint, or every one of a time window. */
export function Recovery() {
  const { can } = usePortal();
  const [params, setParams] = useSearchParams();
  const endpoint = params.get('endpoint') ?? '';
  const endpoints = useLoad(() => api<Paged<Subscription>>('GET', '/subscriptions', { query: { maxResultCount: 1000 } }), []);
  const [since, setSince] = useState(() => toLocalInput(new Date(Date.now() - DAY_MS)));
  const [until, setUntil] = useState('');
  const [onlyFailed, setOnlyFailed] = useState(true);
  const [queued, setQueued] = useState<string | null>(null);
  const replay = useAction(async (body: { since: string; until?: string; onlyFailed: boolean }, what: string) => {
    const { queuedCount } = await api<{ queuedCount: number }>('POST', `/subscriptions/${endpoint}/replay`, { body });
    setQueued(
      queuedCount === 0
        ? `Nothing to send again: no ${what}.`
        : `${queuedCount} message${queuedCount === 1 ? '' : 's'} queued again (${what}).`,
    );
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void replay.run(
      { since: new Date(since).toISOString(), until: until ? new Date(until).toISOString() : undefined, onlyFailed },
      onlyFailed ? 'failed messages in the window' : 'messages in the window',
    );
  };
  const resendFailed = () =>
    void replay.run(
      { since: new Date(Date.now() - 30 * DAY_MS).toISOString(), onlyFailed: true },
      'failed messages of the last 30 days',
    );

  if (!can(Permissions.Resend)) {
    return (
      <>
        <PageHeader title="Recovery" />
        <EmptyState title="You can look but not resend">
          This portal link may read messages only. Ask for a portal link that may resend.
        </EmptyState>
      </>
    );
  }
  return (
    <>
      <PageHeader title="Recovery" subtitle="Send messages again after your endpoint was down or answered errors." />
      <div className="card form">
        <label htmlFor="recovery-endpoint">Endpoint</label>
        {endpoints.data === undefined ? (
          <Loading />
        ) : endpoints.data.items.length === 0 ? (
          <p className="muted">
            No endpoints yet: <Link href="/endpoints/new">add one</Link>.
          </p>
        ) : (
          <select
            id="recovery-endpoint"
            value={endpoint}
            onChange={(e) => {
              setQueued(null);
              setParams(e.target.value ? { endpoint: e.target.value } : {});
            }}
          >
            <option value="">Choose an endpoint</option>
            {endpoints.data.items.map((s) => (
              <option key={s.id} value={s.id}>
                {s.webhookUri}
              </option>
            ))}
          </select>
        )}
      </div>
      {endpoint && (
        <>
          <ErrorNotice error={replay.error} />
          {queued && (
            <p className="notice info" role="status">
              {queued} <Link href={`/messages?endpoint=${endpoint}`}>See them in the message log</Link>
            </p>
          )}
          <section className="card" aria-labelledby="resend-failed">
            <h2 id="resend-failed">Resend failed messages</h2>
            <p className="muted">
              Every message of the last 30 days that this endpoint did not accept is sent again, with a fresh set of retries.
            </p>
            <button type="button" className="primary" onClick={resendFailed} disabled={replay.busy}>
              Resend failed messages
            </button>
          </section>
          <form className="card form" onSubmit={submit} aria-labelledby="replay-window">
            <h2 id="replay-window">Replay a time window</h2>
            <p className="muted">Send again the messages of events created in this window, in their original order.</p>
            <label htmlFor="replay-since">From</label>
            <input id="replay-since" type="datetime-local" required value={since} onChange={(e) => setSince(e.target.value)} />
            <label htmlFor="replay-until">To (empty: now)</label>
            <input id="replay-until" type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
            <label className="check">
              <input type="checkbox" checked={onlyFailed} onChange={(e) => setOnlyFailed(e.target.checked)} />
              Only messages that failed
            </label>
            <div className="actions">
              <button type="submit" disabled={replay.busy}>
                Replay window
              </button>
            </div>
          </form>
        </>
      )}
    </>
  );
}
