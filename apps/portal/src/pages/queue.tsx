import { api } from '../api';
import { ErrorNotice, Loading, PageHeader } from '../components/ui';
import { useLoad } from '../hooks';

const STATES = ['waiting', 'active', 'delayed', 'failed', 'paused', 'completed'];

/** The delivery queue's depth by Bull state, with the way to the queue dashboard. */
export function Queue() {
  const queue = useLoad(
    () => api<{ jobCounts: Record<string, number> | null; dashboardPath: string | null }>('GET', '/queue', { asHost: true }),
    [],
  );
  const q = queue.data;
  return (
    <>
      <PageHeader
        title="Queue"
        subtitle="Delivery jobs waiting in Redis. PostgreSQL holds every delivery; the queue only says when to send."
        actions={
          <button type="button" onClick={queue.reload}>
            Refresh
          </button>
        }
      />
      <ErrorNotice error={queue.error} onRetry={queue.reload} />
      {!q ? (
        queue.loading && <Loading />
      ) : (
        <>
          {q.jobCounts === null ? (
            <p className="notice error" role="alert">
              Redis did not answer: deliveries stay pending in PostgreSQL and are queued again once it is back.
            </p>
          ) : (
            <dl className="figures">
              {STATES.map((s) => (
                <div key={s}>
                  <dt>{s}</dt>
                  <dd>{q.jobCounts![s] ?? 0}</dd>
                </div>
              ))}
            </dl>
          )}
          {q.dashboardPath ? (
            <p>
              <a href={q.dashboardPath} target="_blank" rel="noreferrer">
                Open the queue dashboard
              </a>{' '}
              <span className="muted">(asks for the admin key as the password)</span>
            </p>
          ) : (
            <p className="muted">The queue dashboard is off: it needs WEBHOOKS_ADMIN_API_KEY.</p>
          )}
        </>
      )}
    </>
  );
}
