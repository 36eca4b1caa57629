import { FormEvent, useState } from 'react';
import { usePortal } from '../session';

/** The host acts for one tenant at a time (the `__tenant` header), or for itself. */
export function TenantSwitcher() {
  const { tenantId, switchTenant } = usePortal();
  const [value, setValue] = useState(tenantId ?? '');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    switchTenant(value.trim() || null);
  };
  return (
    <form className="tenant-switcher" onSubmit={submit}>
      <label htmlFor="tenant-switch">Tenant</label>
      <input
        id="tenant-switch"
        value={value}
        placeholder="host (no tenant)"
        onChange={(e) => setValue(e.target.value)}
        pattern="[A-Za-z0-9_.:\-]{1,64}"
        title="1-64 letters, digits, '.', '_', ':' or '-'; empty for the host"
      />
      <button type="submit">Switch</button>
    </form>
  );
}
