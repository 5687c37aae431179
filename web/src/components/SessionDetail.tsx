/**
 * One session: its state (announced when it changes), the linked account,
 * the last disconnect, the actions, the linking panel while it is unpaired,
 * and its event log.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type SessionView } from '../api.js';
import { phone, stateLook, time } from '../format.js';
import { useMounted } from '../hooks.js';
import type { LiveEvents } from '../liveEvents.js';
import { EventLog } from './EventLog.js';
import { GuardedConfirm } from './GuardedConfirm.js';
import { PairingPanel } from './PairingPanel.js';
import { QrPanel } from './QrPanel.js';
import { SendTestMessage } from './SendTestMessage.js';
import { StateBadge } from './StateBadge.js';
import { RUNNING_STATES } from '../../../src/domain/sessionState.js';

type Dialog = 'logout' | 'delete' | null;
type LinkMethod = 'qr' | 'phone';

export function SessionDetail(props: {
  session: SessionView;
  live: LiveEvents;
  /** Bring the QR into view when it appears (the session was just created here). */
  revealQr: boolean;
  onChanged: (view: SessionView) => void;
  onDeleted: (sessionId: string) => void;
}) {
  const { session } = props;
  const mounted = useMounted();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [method, setMethod] = useState<LinkMethod>('qr');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const previousState = useRef(session.state);

  useEffect(() => {
    if (previousState.current !== session.state) {
      setAnnouncement(`Session ${session.displayName ?? session.sessionId} is now: ${stateLook(session).label}.`);
      previousState.current = session.state;
    }
  }, [session.state]);

  useEffect(() => setError(null), [session.sessionId]);

  const act = async (work: () => Promise<SessionView>) => {
    setBusy(true);
    setError(null);
    try {
      const view = await work();
      if (mounted.current) props.onChanged(view);
    } catch (err) {
      if (mounted.current) setError(err instanceof Error ? err.message : 'The action failed.');
    } finally {
      if (mounted.current) setBusy(false);
    }
  };

  const name = session.displayName ?? session.sessionId;
  const running = RUNNING_STATES.includes(session.state);
  const linking = !session.paired && session.state !== 'connected';

  return (
    <article class="session-detail" aria-labelledby="detail-title" data-session-id={session.sessionId}>
      <section class="card">
        <header class="detail-header">
          <div>
            <h2 id="detail-title" tabIndex={-1}>
              {name}
            </h2>
            {session.displayName && <p class="session-id">{session.sessionId}</p>}
          </div>
          <p class="state" role="status">
            <StateBadge session={session} />
          </p>
        </header>
        <p class="sr-only" aria-live="polite">
          {announcement}
        </p>
        <dl class="facts">
          {session.me && (
            <>
              <dt>Phone number</dt>
              <dd data-field="phone">{phone(session.me.phoneNumber)}</dd>
              <dt>WhatsApp name</dt>
              <dd data-field="name">{session.me.name ?? '—'}</dd>
            </>
          )}
          {session.connectedAt && (
            <>
              {/* connectedAt is when it last connected: "since" only while it still is. */}
              <dt>{session.connected ? 'Connected since' : 'Last connected'}</dt>
              <dd data-field="connected-at">{time(session.connectedAt)}</dd>
            </>
          )}
          <dt>Last disconnect</dt>
          <dd data-field="last-disconnect">
            {session.lastDisconnect
              ? `${session.lastDisconnect.reason}${session.lastDisconnect.code !== null ? ` (code ${session.lastDisconnect.code})` : ''}, ${time(session.lastDisconnect.at)}`
              : 'None'}
          </dd>
        </dl>
        <div class="actions" role="group" aria-label="Session actions">
          {/* An unlinked session starts from the link panel's one button. */}
          {!running && session.paired && (
            <button type="button" class="primary" disabled={busy} onClick={() => void act(() => api.connect(session.sessionId))}>
              Connect
            </button>
          )}
          {running && (
            <button type="button" disabled={busy} onClick={() => void act(() => api.disconnect(session.sessionId))}>
              Disconnect
            </button>
          )}
          {session.paired && (
            <button type="button" class="danger-outline" disabled={busy} onClick={() => setDialog('logout')}>
              Log out
            </button>
          )}
          <button type="button" class="danger-outline" disabled={busy} onClick={() => setDialog('delete')}>
            Delete
          </button>
        </div>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </section>

      {linking ? (
        <section class="card link-panel" aria-labelledby="link-title">
          <h3 id="link-title">Link a WhatsApp account</h3>
          <div class="tabs" role="radiogroup" aria-label="How to link">
            <label class={method === 'qr' ? 'tab active' : 'tab'}>
              <input type="radio" name={`method-${session.sessionId}`} checked={method === 'qr'} onChange={() => setMethod('qr')} />
              Scan a QR code
            </label>
            <label class={method === 'phone' ? 'tab active' : 'tab'}>
              <input type="radio" name={`method-${session.sessionId}`} checked={method === 'phone'} onChange={() => setMethod('phone')} />
              Use a phone number
            </label>
          </div>
          {method === 'qr' ? (
            <QrPanel
              session={session}
              live={props.live}
              reveal={props.revealQr}
              onStart={async () => props.onChanged(await api.connect(session.sessionId))}
            />
          ) : (
            <PairingPanel session={session} />
          )}
        </section>
      ) : session.state === 'connected' ? (
        <section class="card linked" aria-labelledby="linked-title" data-linked="true">
          <h3 id="linked-title">Connected</h3>
          <p>
            {session.me
              ? `Linked to ${phone(session.me.phoneNumber)}${session.me.name ? ` (${session.me.name})` : ''}. The session is ready to send and receive messages.`
              : 'The session is ready to send and receive messages.'}
          </p>
          <p>
            <a href={`#/keys/${encodeURIComponent(session.sessionId)}`}>API keys of this session</a>
          </p>
          <SendTestMessage sessionId={session.sessionId} />
        </section>
      ) : null}

      <EventLog sessionId={session.sessionId} live={props.live} />

      {dialog === 'logout' && (
        <GuardedConfirm
          title={`Log out “${name}”?`}
          action="logout"
          sessionId={session.sessionId}
          confirmLabel="Log out"
          run={async (otpCode) => props.onChanged(await api.logout(session.sessionId, otpCode))}
          onClose={() => setDialog(null)}
        >
          <p>
            This unlinks the device{session.me ? ` from ${phone(session.me.phoneNumber)}` : ''} in WhatsApp and deletes its
            stored credentials and encryption keys.
          </p>
          <p>The session stays in the list, but you will have to link it again with a QR code or a pairing code.</p>
        </GuardedConfirm>
      )}
      {dialog === 'delete' && (
        <GuardedConfirm
          title={`Delete “${name}”?`}
          action="delete"
          sessionId={session.sessionId}
          confirmLabel="Delete session"
          run={async (otpCode) => {
            await api.deleteSession(session.sessionId, otpCode);
            props.onDeleted(session.sessionId);
          }}
          onClose={() => setDialog(null)}
        >
          <p>
            This {session.paired ? 'logs the device out of WhatsApp and ' : ''}permanently removes the session “{session.sessionId}”: its
            credentials and encryption keys, its API keys and its event history.
          </p>
          <p>This cannot be undone.</p>
        </GuardedConfirm>
      )}
    </article>
  );
}
