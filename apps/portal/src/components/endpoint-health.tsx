import { useMemo, useState } from 'react';
import { api } from '../api';
import { useLoad } from '../hooks';
import { TimelineChart } from './timeline-chart';
import { ErrorNotice, Loading } from './ui';

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

const WINDOWS = [
  { hours: 24, label: 'Last 24 hours' },
  { hours: 168, label: 'Last 7 days' },
];

const percent = (v: number) => `${Math.round(v * 100)}%`;
const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

/** Success rate and latency of one endpoint's attempts, over a day or a week. */
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
  );
}
