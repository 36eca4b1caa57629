import { api } from '../api';
import { ErrorNotice, Loading, PageHeader } from '../components/ui';
import { useLoad } from '../hooks';

interface SchedulerCounts {
  waiting: number;
  inFlight: number;
  retriesScheduled: number;
  endpoints: { breakerOpen: number; breakerHalfOpen: number; paused: number; atCapacity: number };
}

/** The delivery scheduler's figures: deliveries by state, endpoints held back by reason; and the queue dashboard. */
export function Queue() {
  const queue = useLoad(
    () => api<{ scheduler: SchedulerCounts | null; dashboardPath: string | null }>('GET', '/queue', { asHost: true }),
    [],
  );
  const q = queue.data;
  return (
    <>
      <PageHeader
        title="Queue"
        subtitle="Deliveries the scheduler holds in Redis. PostgreSQL holds every delivery; the scheduler only says what to send next."
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
          {q.scheduler === null ? (
            <p className="notice error" role="alert">
              Redis did not answer: deliveries stay pending in PostgreSQL and are queued again once it is back.
            </p>
          ) : (
            <dl className="figures">
              {[
                ['waiting', q.scheduler.waiting],
                ['in flight', q.scheduler.inFlight],
                ['retries scheduled', q.scheduler.retriesScheduled],
                ['endpoints with an open breaker', q.scheduler.endpoints.breakerOpen],
                ['endpoints probing (half-open)', q.scheduler.endpoints.breakerHalfOpen],
                ['endpoints paused (Retry-After)', q.scheduler.endpoints.paused],
                ['endpoints at their concurrency', q.scheduler.endpoints.atCapacity],
              ].map(([label, value]) => (
                <div key={label}>
                  <dt>{label}</dt>
                  <dd>{value}</dd>
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
