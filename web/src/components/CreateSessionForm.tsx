/**
 * The form that creates a session and starts linking it: open while there
 * are few sessions, folded under "New session" once the list is long.
 */
import { useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { useMounted } from '../hooks.js';

export function CreateSessionForm(props: { startOpen: boolean; onCreate: (input: { sessionId?: string; displayName?: string }) => Promise<void> }) {
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
    <details class="create-session" open={props.startOpen}>
      <summary>
        <h3 id="create-title">New session</h3>
      </summary>
      <form onSubmit={submit} aria-labelledby="create-title">
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
    </details>
  );
}
