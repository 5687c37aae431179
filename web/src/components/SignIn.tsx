/** Exchange the admin API key for a dashboard session cookie. */
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';

export function SignIn(props: { onSignedIn: (csrfToken: string) => void; notice?: string }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await api.signIn(key);
      props.onSignedIn(result.csrfToken);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Signing in failed. Try again.');
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <form class="card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">
          <span class="logo" aria-hidden="true" />
          wagate
        </h1>
        <p class="muted">Sign in with the gateway’s admin API key.</p>
        {props.notice && (
          <p class="notice" role="status">
            {props.notice}
          </p>
        )}
        <label for="api-key">Admin API key</label>
        <input
          id="api-key"
          name="apiKey"
          type="password"
          autoComplete="current-password"
          value={key}
          required
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? 'sign-in-error' : undefined}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          autoFocus
        />
        {error && (
          <p id="sign-in-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary wide" disabled={busy || key.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
