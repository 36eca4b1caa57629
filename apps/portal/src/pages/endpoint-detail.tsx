import { useState } from 'react';
import { Link, useLocation } from 'wouter';
import { Permissions, Subscription, TestSendResult, api } from '../api';
import { ConfirmButton } from '../components/confirm-button';
import { EndpointHealth } from '../components/endpoint-health';
import { CodeBlock, DateTime, ErrorNotice, Loading, PageHeader } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { usePortal } from '../session';
import { EndpointStatus } from './endpoints';

export function EndpointDetail({ id }: { id: string }) {
  const { can } = usePortal();
  const [, navigate] = useLocation();
  const endpoint = useLoad(() => api<Subscription>('GET', `/subscriptions/${id}`), [id]);
  const toggle = useAction(async (activate: boolean) => {
    await api('POST', `/subscriptions/${id}/${activate ? 'activate' : 'deactivate'}`);
    endpoint.reload();
  });
  const remove = useAction(async () => {
    await api('DELETE', `/subscriptions/${id}`);
    navigate('/endpoints');
  });

  const s = endpoint.data;
  if (!s) return endpoint.error ? <ErrorNotice error={endpoint.error} onRetry={endpoint.reload} /> : <Loading />;
  const canUpdate = can(Permissions.SubscriptionsUpdate);
  return (
    <>
      <PageHeader
        title={<span className="url">{s.webhookUri}</span>}
        subtitle={s.description ?? undefined}
        actions={
          <>
            {canUpdate && (
              <Link href={`/endpoints/${id}/edit`} className="button">
                Edit
              </Link>
            )}
            {canUpdate &&
              (s.isActive ? (
                <ConfirmButton
                  label="Disable"
                  question="Stop sending to this endpoint? Pending messages are dropped."
                  confirmLabel="Disable"
                  onConfirm={() => void toggle.run(false)}
                  busy={toggle.busy}
                />
              ) : (
                <button type="button" onClick={() => void toggle.run(true)} disabled={toggle.busy}>
                  Enable
                </button>
              ))}
            {can(Permissions.SubscriptionsDelete) && (
              <ConfirmButton
                label="Delete"
                question="Delete this endpoint and its message history?"
                confirmLabel="Delete endpoint"
                onConfirm={() => void remove.run()}
                busy={remove.busy}
                danger
              />
            )}
          </>
        }
      />
      <ErrorNotice error={toggle.error ?? remove.error} />
      <section className="card" aria-labelledby="overview">
        <h2 id="overview">Overview</h2>
        <dl className="facts">
          <dt>Status</dt>
          <dd>
            <EndpointStatus subscription={s} />
            {!s.isActive && s.deactivationReason && <span className="muted"> ({s.deactivationReason})</span>}
          </dd>
          <dt>Events</dt>
          <dd>{s.webhooks.map((w) => (w === '*' ? 'all events' : w)).join(', ')}</dd>
          <dt>Created</dt>
          <dd>
            <DateTime value={s.creationTime} />
          </dd>
          {can(Permissions.SendAttempts) && (
            <>
              <dt>Messages</dt>
              <dd>
                <Link href={`/messages?endpoint=${id}`}>See this endpoint’s messages</Link>
                {can(Permissions.Resend) && (
                  <>
                    {' · '}
                    <Link href={`/recovery?endpoint=${id}`}>Resend or replay</Link>
                  </>
                )}
              </dd>
            </>
          )}
        </dl>
      </section>
      <EndpointHealth id={id} />
      {canUpdate && <SigningSecret subscription={s} onRotated={endpoint.reload} />}
      {canUpdate && <TestSend id={id} />}
    </>
  );
}

function SigningSecret({ subscription, onRotated }: { subscription: Subscription; onRotated: () => void }) {
  const [revealed, setRevealed] = useState<string | null>(null);
  const [rotated, setRotated] = useState(false);
  const reveal = useAction(async () =>
    setRevealed((await api<{ secret: string }>('POST', `/subscriptions/${subscription.id}/reveal-secret`)).secret),
  );
  const rotate = useAction(async () => {
    setRevealed((await api<{ secret: string }>('POST', `/subscriptions/${subscription.id}/rotate-secret`, { body: {} })).secret);
    setRotated(true);
    onRotated();
  });
  const overlapEnds = subscription.previousSecretExpiresAt;
  return (
    <section className="card" aria-labelledby="secret">
      <h2 id="secret">Signing secret</h2>
      <p className="muted">Check each message’s signature with this secret to know it came from us.</p>
      <ErrorNotice error={reveal.error ?? rotate.error} />
      <p>
        <code className="secret" data-testid="signing-secret">
          {revealed ?? subscription.secret}
        </code>
      </p>
      {(rotated || overlapEnds) && (
        <p className="notice info" role="status">
          {rotated && 'New secret in use. '}
          {overlapEnds && (
            <>
              The previous secret keeps signing beside it until <DateTime value={overlapEnds} />.
            </>
          )}
        </p>
      )}
      <div className="actions">
        {!revealed && (
          <button type="button" onClick={() => void reveal.run()} disabled={reveal.busy}>
            Reveal
          </button>
        )}
        <ConfirmButton
          label="Rotate secret"
          question="Sign with a new secret from now on?"
          confirmLabel="Rotate"
          onConfirm={() => void rotate.run()}
          busy={rotate.busy}
        />
      </div>
    </section>
  );
}

function TestSend({ id }: { id: string }) {
  const [result, setResult] = useState<TestSendResult | null>(null);
  const send = useAction(async () => setResult(await api<TestSendResult>('POST', `/subscriptions/${id}/test`)));
  return (
    <section className="card" aria-labelledby="test-send">
      <h2 id="test-send">Test</h2>
      <p className="muted">Send a signed test message now and see how your endpoint answers.</p>
      <ErrorNotice error={send.error} />
      <button type="button" onClick={() => void send.run()} disabled={send.busy}>
        {send.busy ? 'Sending…' : 'Send test message'}
      </button>
      {result && (
        <div className="test-result" role="status" aria-live="polite">
          <p>
            <span className={`badge ${result.succeeded ? 'succeeded' : 'failed'}`}>
              {result.statusCode !== null ? `HTTP ${result.statusCode}` : 'no answer'}
            </span>{' '}
            in {result.durationMs} ms{result.error && <span className="muted"> — {result.error}</span>}
          </p>
          {result.response !== null && <CodeBlock label="Response body" text={result.response} />}
        </div>
      )}
    </section>
  );
}
