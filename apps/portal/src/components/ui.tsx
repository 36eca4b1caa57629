import type { ReactNode } from 'react';
import type { ApiError } from '../api';

export function PageHeader({ title, subtitle, actions }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle && <p className="muted">{subtitle}</p>}
      </div>
      {actions && <div className="actions">{actions}</div>}
    </header>
  );
}

/** What went wrong, and what to do about it. */
export function ErrorNotice({ error, onRetry }: { error: ApiError | null; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div className="notice error" role="alert">
      <strong>{headline(error.status)}</strong> <span>{error.message}</span>
      {error.details.length > 0 && (
        <ul>
          {error.details.map((d, i) => (
            <li key={i}>
              <code>{d.field}</code>: {d.message}
            </li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" className="link" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

function headline(status: number): string {
  if (status === 0) return 'Network problem.';
  if (status === 401) return 'Your session has ended: open the portal again from your application.';
  if (status === 403) return 'Not allowed.';
  if (status === 404) return 'Not found.';
  if (status === 409) return 'Conflict.';
  if (status >= 400 && status < 500) return 'Please check the form.';
  return 'The service had a problem; try again shortly.';
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty">
      <h2>{title}</h2>
      {children && <p className="muted">{children}</p>}
      {action}
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="muted loading" role="status">
      {what}…
    </p>
  );
}

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge ${state}`}>{state}</span>;
}

/** Outside text (event data, response bodies, headers): always a text node, never parsed as HTML. */
export function CodeBlock({ text, label }: { text: string; label: string }) {
  return (
    <pre className="code" aria-label={label} tabIndex={0}>
      {text}
    </pre>
  );
}

export function HeadersTable({ headers, label }: { headers: Record<string, string> | null; label: string }) {
  const entries = Object.entries(headers ?? {});
  if (!entries.length) return <p className="muted">No headers.</p>;
  return (
    <table className="kv" aria-label={label}>
      <tbody>
        {entries.map(([name, value]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function DateTime({ value }: { value: string | null }) {
  if (!value) return <span className="muted">—</span>;
  const date = new Date(value);
  return <time dateTime={value}>{dateFormat.format(date)}</time>;
}

/** Pages of a list with skipCount/maxResultCount. */
export function Pager({
  skip,
  pageSize,
  total,
  onChange,
}: {
  skip: number;
  pageSize: number;
  total: number;
  onChange: (skip: number) => void;
}) {
  if (total <= pageSize) return null;
  const last = Math.min(skip + pageSize, total);
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={skip === 0} onClick={() => onChange(Math.max(0, skip - pageSize))}>
        Previous
      </button>
      <span>
        {skip + 1}–{last} of {total}
      </span>
      <button type="button" disabled={last >= total} onClick={() => onChange(skip + pageSize)}>
        Next
      </button>
    </nav>
  );
}

/** Rows under column headings; a heading given as `{ hidden }` is there for screen readers only. */
export function ListTable({ columns, children }: { columns: (string | { hidden: string })[]; children: ReactNode }) {
  return (
    <table className="list">
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={typeof c === 'string' ? c : c.hidden} scope="col">
              {typeof c === 'string' ? c : <span className="visually-hidden">{c.hidden}</span>}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
