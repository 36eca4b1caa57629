import { FormEvent, useEffect, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { Subscription, WebhookGroup, api } from '../api';
import { ErrorNotice, Loading, PageHeader } from '../components/ui';
import { useAction, useLoad } from '../hooks';

interface FormState {
  webhookUri: string;
  webhooks: string[];
  description: string;
  headers: string;
  timeoutDuration: string;
  maxSendAttemptCount: string;
}

const EMPTY: FormState = {
  webhookUri: '',
  webhooks: [],
  description: '',
  headers: '',
  timeoutDuration: '',
  maxSendAttemptCount: '',
};
const ALL_EVENTS = '*';

/** Creates an endpoint, or (with an id) edits one. */
export function EndpointForm({ id }: { id?: string }) {
  const [, navigate] = useLocation();
  const existing = useLoad(() => (id ? api<Subscription>('GET', `/subscriptions/${id}`) : Promise.resolve(null)), [id]);
  const groups = useLoad(() => api<{ items: WebhookGroup[] }>('GET', '/subscriptions/availables'), []);
  const [form, setForm] = useState<FormState>(EMPTY);
  useEffect(() => {
    const s = existing.data;
    if (s) {
      setForm({
        webhookUri: s.webhookUri,
        webhooks: s.webhooks,
        description: s.description ?? '',
        headers: Object.entries(s.headers)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\n'),
        timeoutDuration: s.timeoutDuration?.toString() ?? '',
        maxSendAttemptCount: s.maxSendAttemptCount?.toString() ?? '',
      });
    }
  }, [existing.data]);

  const save = useAction(async (state: FormState) => {
    const body = {
      webhookUri: state.webhookUri.trim(),
      webhooks: state.webhooks,
      description: state.description.trim() || undefined,
      headers: parseHeaders(state.headers),
      timeoutDuration: state.timeoutDuration ? Number(state.timeoutDuration) : undefined,
      maxSendAttemptCount: state.maxSendAttemptCount ? Number(state.maxSendAttemptCount) : undefined,
    };
    const saved = id
      ? await api<Subscription>('PUT', `/subscriptions/${id}`, {
          body: { ...body, concurrencyStamp: existing.data!.concurrencyStamp },
        })
      : await api<Subscription>('POST', '/subscriptions', { body });
    navigate(`/endpoints/${saved.id}`);
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.run(form);
  };
  const toggle = (name: string, on: boolean) =>
    setForm((f) => ({ ...f, webhooks: on ? [...f.webhooks, name] : f.webhooks.filter((w) => w !== name) }));
  /** A whole number from 1 to `max`, left empty for the default. */
  const limitInput = (field: 'timeoutDuration' | 'maxSendAttemptCount', label: string, max: number) => (
    <>
      <label htmlFor={field}>{`${label} (1–${max}; empty for the default)`}</label>
      <input
        id={field}
        type="number"
        min={1}
        max={max}
        value={form[field]}
        onChange={(e) => setForm({ ...form, [field]: e.target.value })}
      />
    </>
  );

  if (id && existing.data === undefined) return existing.error ? <ErrorNotice error={existing.error} /> : <Loading />;
  const everything = form.webhooks.includes(ALL_EVENTS);
  return (
    <>
      <PageHeader title={id ? 'Edit endpoint' : 'Add endpoint'} />
      <form className="card form" onSubmit={submit}>
        <ErrorNotice error={save.error} />
        <label htmlFor="webhookUri">Endpoint URL</label>
        <input
          id="webhookUri"
          type="url"
          required
          placeholder="https://example.com/webhooks"
          value={form.webhookUri}
          onChange={(e) => setForm({ ...form, webhookUri: e.target.value })}
        />
        <fieldset>
          <legend>Events to send</legend>
          <label className="check">
            <input type="checkbox" checked={everything} onChange={(e) => toggle(ALL_EVENTS, e.target.checked)} />
            All events, including ones added later
          </label>
          <ErrorNotice error={groups.error} onRetry={groups.reload} />
          {!everything &&
            groups.data?.items.map((g) => (
              <div key={g.name} className="event-group">
                <p className="group-name">{g.displayName}</p>
                {g.webhooks.map((w) => (
                  <label key={w.name} className="check">
                    <input
                      type="checkbox"
                      checked={form.webhooks.includes(w.name)}
                      onChange={(e) => toggle(w.name, e.target.checked)}
                    />
                    <code>{w.name}</code> <span className="muted">{w.description ?? w.displayName}</span>
                  </label>
                ))}
              </div>
            ))}
        </fieldset>
        <label htmlFor="description">Description (optional)</label>
        <input
          id="description"
          maxLength={1024}
          value={form.description}
          onChange={(e) => setForm({ ...form, description: e.target.value })}
        />
        <details>
          <summary>Advanced settings</summary>
          <label htmlFor="headers">Custom headers, one “Name: value” per line</label>
          <textarea id="headers" rows={3} value={form.headers} onChange={(e) => setForm({ ...form, headers: e.target.value })} />
          {limitInput('timeoutDuration', 'Timeout, seconds', 300)}
          {limitInput('maxSendAttemptCount', 'Attempts per message', 100)}
        </details>
        <div className="actions">
          <button type="submit" className="primary" disabled={save.busy || form.webhooks.length === 0}>
            {save.busy ? 'Saving…' : id ? 'Save changes' : 'Add endpoint'}
          </button>
          <Link href={id ? `/endpoints/${id}` : '/endpoints'} className="button">
            Cancel
          </Link>
        </div>
        {form.webhooks.length === 0 && <p className="muted small">Choose at least one event.</p>}
      </form>
    </>
  );
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}
