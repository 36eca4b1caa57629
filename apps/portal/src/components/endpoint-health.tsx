import { useMemo, useState } from 'react';
import { api } from '../api';
import { useLoad } from '../hooks';
import { TimelineChart } from './timeline-chart';
import { DateTime, ErrorNotice, Loading } from './ui';

interface Bucket {
  start: string;
  attempts: number;
  succeeded: number;
  p50ResponseTimeMs: number | null;
  p95ResponseTimeMs: number | null;
}

interface Stats {
  attempts: number;
  failedAttempts: number;
  successRate: number | null;
  avgResponseTimeMs: number | null;
  p95ResponseTimeMs: number | null;
}

/** How the endpoint is being served right now (`GET subscriptions/{id}/health`). */
interface SendingStatus {
  breaker: { state: 'closed' | 'open' | 'half-open'; since: string | null; until: string | null };
  recentFailureRate: number | null;
  recentAttempts: number;
  inFlight: number;
  backlog: number;
  pausedUntil: string | null;
  limits: { maxConcurrentSends: number; rateLimitPerSecond: number | null };
}

const WINDOWS = [
  { hours: 24, label: 'Last 24 hours' },
  { hours: 168, label: 'Last 7 days' },
];

const percent = (v: number) => `${Math.round(v * 100)}%`;
const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

/** How one endpoint is being served now, and the success rate and latency of its attempts over a day or a week. */
export function EndpointHealth({ id }: { id: string }) {
  const [hours, setHours] = useState(24);
  const timeline = useLoad(
    () => api<{ buckets: Bucket[] }>('GET', `/subscriptions/${id}/timeline`, { query: { hours } }),
    [id, hours],
  );
  const stats = useLoad(() => api<Stats>('GET', `/subscriptions/${id}/stats`, { query: { hours } }), [id, hours]);
  const charts = useMemo(() => {
    const buckets = timeline.data?.buckets ?? [];
    const times = buckets.map((b) => new Date(b.start).getTime() / 1000);
    return {
      times,
      success: [
        {
          label: 'Success rate',
          color: '#116329',
          format: percent,
          values: buckets.map((b) => (b.attempts ? b.succeeded / b.attempts : null)),
        },
      ],
      latency: [
        { label: 'p50', color: '#0b5cad', format: ms, values: buckets.map((b) => b.p50ResponseTimeMs) },
        { label: 'p95', color: '#bc4c00', format: ms, values: buckets.map((b) => b.p95ResponseTimeMs) },
      ],
    };
  }, [timeline.data]);
  const s = stats.data;
  return (
    <>
      <SendingNow id={id} />
      <section className="card" aria-labelledby="health">
        <div className="section-head">
          <h2 id="health">Health</h2>
          <div className="segmented" role="group" aria-label="Window">
            {WINDOWS.map((w) => (
              <button key={w.hours} type="button" aria-pressed={hours === w.hours} onClick={() => setHours(w.hours)}>
                {w.label}
              </button>
            ))}
          </div>
        </div>
        <ErrorNotice error={timeline.error ?? stats.error} onRetry={timeline.reload} />
        {s && (
          <dl className="figures">
            <div>
              <dt>Attempts</dt>
              <dd>{s.attempts}</dd>
            </div>
            <div>
              <dt>Failed attempts</dt>
              <dd>{s.failedAttempts}</dd>
            </div>
            <div>
              <dt>Delivered</dt>
              <dd>{s.successRate === null ? '—' : percent(s.successRate)}</dd>
            </div>
            <div>
              <dt>p95 latency</dt>
              <dd>{s.p95ResponseTimeMs === null ? '—' : ms(s.p95ResponseTimeMs)}</dd>
            </div>
          </dl>
        )}
        {!timeline.data ? (
          timeline.loading && <Loading />
        ) : s?.attempts === 0 ? (
          <p className="muted">No attempts in this window. Send a test message to see it here.</p>
        ) : (
          <div className="charts">
            <TimelineChart title="Success rate" times={charts.times} series={charts.success} />
            <TimelineChart title="Latency" times={charts.times} series={charts.latency} />
          </div>
        )}
      </section>
    </>
  );
}

/** The breaker, a pause the endpoint asked for, and what is in flight and waiting, in words. */
function SendingNow({ id }: { id: string }) {
  const status = useLoad(() => api<SendingStatus>('GET', `/subscriptions/${id}/health`), [id]);
  const h = status.data;
  return (
    <section className="card" aria-labelledby="sending-now">
      <div className="section-head">
        <h2 id="sending-now">Sending now</h2>
        <button type="button" onClick={status.reload} disabled={status.loading}>
          Refresh
        </button>
      </div>
      <ErrorNotice error={status.error} onRetry={status.reload} />
      {!h ? (
        status.loading && <Loading />
      ) : (
        <>
          <BreakerNotice breaker={h.breaker} />
          {h.pausedUntil && (
            <p className="notice warn" data-testid="pause">
              <strong>
                Paused until <DateTime value={h.pausedUntil} />.
              </strong>{' '}
              Your endpoint asked us to wait (it answered 429 or 503 with a Retry-After header). Messages wait and spend none of
              their attempts; sending resumes on its own at that time.
            </p>
          )}
          <dl className="facts">
            <dt>Breaker</dt>
            <dd>
              <span className={`badge breaker-${h.breaker.state}`}>{h.breaker.state}</span>
            </dd>
            <dt>Recent failures</dt>
            <dd>
              {h.recentFailureRate === null
                ? 'No recent attempts.'
                : `${h.recentAttempts} recent attempt${h.recentAttempts === 1 ? '' : 's'}, ${percent(h.recentFailureRate)} failed.`}
            </dd>
            <dt>In flight</dt>
            <dd>
              {h.inFlight} of at most {h.limits.maxConcurrentSends} at a time
            </dd>
            <dt>Waiting</dt>
            <dd>{h.backlog === 1 ? '1 message waiting to be sent' : `${h.backlog} messages waiting to be sent`}</dd>
            <dt>Rate limit</dt>
            <dd>{h.limits.rateLimitPerSecond === null ? 'None' : `${h.limits.rateLimitPerSecond} per second`}</dd>
          </dl>
        </>
      )}
    </section>
  );
}

function BreakerNotice({ breaker }: { breaker: SendingStatus['breaker'] }) {
  if (breaker.state === 'open') {
    return (
      <p className="notice error" data-testid="breaker">
        <strong>
          Breaker open since <DateTime value={breaker.since} />.
        </strong>{' '}
        Too many recent attempts failed, so nothing is sent to this endpoint until <DateTime value={breaker.until} />. Then one
        message is sent as a probe: if it succeeds, sending resumes; if not, the breaker stays open a while longer. Messages held
        meanwhile spend none of their attempts.
      </p>
    );
  }
  if (breaker.state === 'half-open') {
    return (
      <p className="notice warn" data-testid="breaker">
        <strong>
          Breaker half-open since <DateTime value={breaker.since} />.
        </strong>{' '}
        One probe message is being sent; if it succeeds, sending resumes, if not, the breaker opens again.
      </p>
    );
  }
  return null;
}
