/** All sessions with their live state, and the form that creates one. */
import { useState } from 'preact/hooks';
import { ApiError, type SessionView } from '../api.js';
import { phone } from '../format.js';
import { useMounted } from '../hooks.js';
import { StateBadge } from './StateBadge.js';

export function SessionList(props: {
  sessions: SessionView[];
  selected: string | null;
  onSelect: (sessionId: string) => void;
  onCreate: (input: { sessionId?: string; displayName?: string }) => Promise<void>;
}) {
  return (
    <section class="card session-list" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      {props.sessions.length === 0 ? (
        <p class="muted">No sessions yet. Create one below to link a WhatsApp account.</p>
      ) : (
        <ul>
          {props.sessions.map((s) => (
            <li key={s.sessionId}>
              <button
                type="button"
                class="session-item"
                data-session-id={s.sessionId}
                aria-current={props.selected === s.sessionId ? 'true' : undefined}
                onClick={() => props.onSelect(s.sessionId)}
              >
                <span class="session-name">{s.displayName ?? s.sessionId}</span>
                {s.displayName && <span class="session-id">{s.sessionId}</span>}
                <span class="session-meta">
                  <StateBadge state={s.state} />
                  {s.me && <span class="session-phone">{phone(s.me.phoneNumber)}</span>}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <CreateSessionForm onCreate={props.onCreate} />
    </section>
  );
}

function CreateSessionForm(props: { onCreate: (input: { sessionId?: string; displayName?: string }) => Promise<void> }) {
  const mounted = useMounted();
  const [sessionId, setSessionId] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await props.onCreate({
        sessionId: sessionId.trim() || undefined,
        displayName: displayName.trim() || undefined,
      });
      if (!mounted.current) return;
      setSessionId('');
      setDisplayName('');
    } catch (err) {
      if (mounted.current) setError(err instanceof ApiError ? err.message : 'The session could not be created.');
    } finally {
      if (mounted.current) setBusy(false);
    }
  };

  return (
    <form class="create-session" onSubmit={submit} aria-labelledby="create-title">
      <h3 id="create-title">New session</h3>
      <label for="new-session-id">Session id (optional)</label>
      <p id="new-session-id-hint" class="hint">
        Letters, digits, “_” and “-”, up to 64 characters. Left empty, one is generated.
      </p>
      <input
        id="new-session-id"
        name="sessionId"
        value={sessionId}
        autoComplete="off"
        spellcheck={false}
        aria-describedby="new-session-id-hint"
        aria-invalid={error ? 'true' : undefined}
        onInput={(e) => setSessionId((e.target as HTMLInputElement).value)}
      />
      <label for="new-session-name">Display name (optional)</label>
      <input
        id="new-session-name"
        name="displayName"
        value={displayName}
        autoComplete="off"
        onInput={(e) => setDisplayName((e.target as HTMLInputElement).value)}
      />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Creating…' : 'Create and start linking'}
      </button>
    </form>
  );
}
