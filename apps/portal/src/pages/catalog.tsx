import { api } from '../api';
import { CodeBlock, EmptyState, ErrorNotice, Loading, PageHeader } from '../components/ui';
import { useLoad } from '../hooks';

interface CatalogDefinition {
  name: string;
  displayName: string;
  description: string | null;
  /** JSON Schema of the events' `data`, its version, and a `data` that satisfies it; null when it has none. */
  schema: object | null;
  schemaVersion: number | null;
  example: object | null;
}

interface CatalogGroup {
  name: string;
  displayName: string;
  webhooks: CatalogDefinition[];
}

/** The events an endpoint can subscribe to, by group. */
export function Catalog() {
  const groups = useLoad(() => api<{ items: CatalogGroup[] }>('GET', '/definitions/groups'), []);
  return (
    <>
      <PageHeader title="Event catalog" subtitle="The events your endpoints can receive." />
      <ErrorNotice error={groups.error} onRetry={groups.reload} />
      {!groups.data ? (
        groups.loading && <Loading />
      ) : groups.data.items.length === 0 ? (
        <EmptyState title="No events available yet">No event types are available to you yet. Check back later.</EmptyState>
      ) : (
        groups.data.items.map((g) => (
          <section key={g.name} className="card" aria-labelledby={`group-${g.name}`}>
            <h2 id={`group-${g.name}`}>{g.displayName}</h2>
            <dl className="catalog">
              {g.webhooks.map((d) => (
                <div key={d.name}>
                  <dt>
                    <code>{d.name}</code> <span className="muted">{d.displayName}</span>
                  </dt>
                  <dd>
                    {d.description ?? <span className="muted">No description.</span>}
                    {d.schema !== null && (
                      <>
                        <p className="muted">Data schema version {d.schemaVersion}</p>
                        <details>
                          <summary>JSON Schema</summary>
                          <CodeBlock label={`Schema of ${d.name}`} text={JSON.stringify(d.schema, null, 2)} />
                        </details>
                      </>
                    )}
                    {d.example !== null && (
                      <details>
                        <summary>Example</summary>
                        <CodeBlock label={`Example of ${d.name}`} text={JSON.stringify(d.example, null, 2)} />
                      </details>
                    )}
                  </dd>
                </div>
              ))}
            </dl>
          </section>
        ))
      )}
    </>
  );
}
