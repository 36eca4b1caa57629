import { FormEvent, useState } from 'react';
import { api } from '../api';
import { ConfirmButton } from '../components/confirm-button';
import { DateTime, EmptyState, ErrorNotice, ListTable, Loading, PageHeader, Pager } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { usePortal } from '../session';

interface ApiKey {
  id: string;
  name: string;
  keyPrefix: string;
  permissions: string[];
  creationTime: string;
  expiresAt: string | null;
}

const PAGE_SIZE = 25;

/** API keys of the acting tenant (or of the host): create one (shown once), revoke one. */
export function ApiKeys() {
  const { session, tenantId } = usePortal();
  const [skip, setSkip] = useState(0);
  const keys = useLoad(
    () =>
      api<{ totalCount: number; items: ApiKey[] }>('GET', '/api-keys', { query: { skipCount: skip, maxResultCount: PAGE_SIZE } }),
    [skip],
  );
  const [name, setName] = useState('');
  const [permissions, setPermissions] = useState<string[]>([]);
  const [created, setCreated] = useState<string | null>(null);
  const create = useAction(async () => {
    const { key } = await api<{ key: string }>('POST', '/api-keys', { body: { name: name.trim(), permissions } });
    setCreated(key);
    setName('');
    setPermissions([]);
    keys.reload();
  });
  const revoke = useAction(async (id: string) => {
    await api('DELETE', `/api-keys/${id}`);
    keys.reload();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  return (
    <>
      <PageHeader
        title="API keys"
        subtitle={`Keys of ${tenantId ? `tenant ${tenantId}` : 'the host'}: what your backends call the API with.`}
      />
      {created && (
        <div className="notice info" role="status">
          <p>Copy the new key now: it is not shown again.</p>
          <code className="secret">{created}</code>
        </div>
      )}
      <form className="card form" onSubmit={submit} aria-labelledby="new-key">
        <h2 id="new-key">New key</h2>
        <ErrorNotice error={create.error} />
        <label htmlFor="key-name">Name</label>
        <input
          id="key-name"
          required
          maxLength={128}
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="e.g. billing-service"
        />
        <fieldset>
          <legend>Permissions</legend>
          {session.permissions.map((p) => (
            <label key={p} className="check">
              <input
                type="checkbox"
                checked={permissions.includes(p)}
                onChange={(e) => setPermissions((list) => (e.target.checked ? [...list, p] : list.filter((x) => x !== p)))}
              />
              <code>{p}</code>
            </label>
          ))}
        </fieldset>
        <button type="submit" className="primary" disabled={create.busy || !name.trim() || permissions.length === 0}>
          Create key
        </button>
      </form>
      <ErrorNotice error={keys.error ?? revoke.error} onRetry={keys.reload} />
      {!keys.data ? (
        keys.loading && <Loading />
      ) : keys.data.items.length === 0 ? (
        <EmptyState title="No API keys">Create one above for each backend that publishes events or manages endpoints.</EmptyState>
      ) : (
        <>
          <ListTable columns={['Name', 'Key', 'Permissions', 'Created', { hidden: 'Revoke' }]}>
            {keys.data.items.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>
                  <code>{k.keyPrefix}…</code>
                </td>
                <td className="small">{k.permissions.join(', ')}</td>
                <td>
                  <DateTime value={k.creationTime} />
                </td>
                <td>
                  <ConfirmButton
                    label="Revoke"
                    question="Revoke this key now?"
                    confirmLabel="Revoke"
                    onConfirm={() => void revoke.run(k.id)}
                    danger
                  />
                </td>
              </tr>
            ))}
          </ListTable>
          <Pager skip={skip} pageSize={PAGE_SIZE} total={keys.data.totalCount} onChange={setSkip} />
        </>
      )}
    </>
  );
}
