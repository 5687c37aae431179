/**
 * API keys of one session: mint one with a label (the key is shown once),
 * list them, revoke one. The admin key itself is not managed here.
 */
import { useState } from 'preact/hooks';
import { SessionKeys } from './keys/SessionKeys.js';

export function ApiKeysPage(props: { sessionId: string | null; onSessionId: (sessionId: string) => void }) {
  return (
    <main class="page">
      <section class="card" aria-labelledby="keys-title">
        <h2 id="keys-title">API keys</h2>
        <p class="muted">
          A session key works only for its own session's routes (status, linking, sending, its webhooks). Give one to each app that
          serves one WhatsApp number; keep the admin key for yourself.
        </p>
        <SessionPicker value={props.sessionId} onPick={props.onSessionId} />
      </section>
      {props.sessionId && <SessionKeys key={props.sessionId} sessionId={props.sessionId} />}
    </main>
  );
}

function SessionPicker(props: { value: string | null; onPick: (sessionId: string) => void }) {
  const [text, setText] = useState(props.value ?? '');
  return (
    <form
      class="inline"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim()) props.onPick(text.trim());
      }}
    >
      <label for="keys-session" class="sr-only">
        Session id
      </label>
      <input id="keys-session" value={text} placeholder="Session id" autoComplete="off" spellcheck={false} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
      <button type="submit">Show keys</button>
    </form>
  );
}
