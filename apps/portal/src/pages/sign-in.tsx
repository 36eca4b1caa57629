import { FormEvent, useState } from 'react';
import { api } from '../api';
import { ErrorNotice } from '../components/ui';
import { useAction } from '../hooks';

/**
 * The admin console's sign-in: the key opens a portal session (it is sent once, never stored in the page).
 * A tenant's users arrive with a link instead and never see this.
 */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const signIn = useAction(async (bearer: string) => {
    const { token } = await api<{ token: string }>('POST', '/portal-sessions', { bearer, body: {} });
    await api('POST', '/portal-sessions/exchange', { body: { token } });
    onSignedIn();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void signIn.run(key.trim());
  };
  return (
    <form className="card signin" onSubmit={submit}>
      <h1>Webhooks console</h1>
      <p className="muted">
        Sign in with the host admin key or a host API key. If your application sent you here, open the portal from it again: links
        work once and expire.
      </p>
      <ErrorNotice error={signIn.error} />
      <label htmlFor="signin-key">Admin key or API key</label>
      <input
        id="signin-key"
        type="password"
        autoComplete="current-password"
        value={key}
        onChange={(e) => setKey(e.target.value)}
        required
      />
      <button type="submit" className="primary" disabled={signIn.busy || !key.trim()}>
        {signIn.busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
