/** A small form on a connected session: send one text message to check that sending works. */
import { useState } from 'preact/hooks';
import { api, type MessageView } from '../api.js';
import { useAction } from '../hooks.js';

export function SendTestMessage(props: { sessionId: string }) {
  const { busy, error, run } = useAction();
  const [to, setTo] = useState('');
  const [text, setText] = useState('Test message from the wagate dashboard');
  const [sent, setSent] = useState<MessageView | null>(null);

  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      setSent(null);
      setSent(await api.sendText(props.sessionId, to.trim(), text));
    });
  };

  return (
    <form class="send-test" onSubmit={submit} aria-labelledby="send-test-title">
      <h4 id="send-test-title">Send a test message</h4>
      <label for="send-test-to">To (phone number with country code)</label>
      <input id="send-test-to" value={to} autoComplete="off" inputMode="tel" onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
      <label for="send-test-text">Text</label>
      <textarea id="send-test-text" rows={2} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {sent && (
        <p class="notice" role="status" data-message-id={sent.messageId}>
          Accepted as {sent.messageId} (status: {sent.status}).
        </p>
      )}
      <button type="submit" class="primary" disabled={busy || to.trim() === '' || text.trim() === ''}>
        {busy ? 'Sending…' : 'Send'}
      </button>
    </form>
  );
}
