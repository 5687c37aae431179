/** Mint a key for one session, with an optional label. */
import { useState } from 'preact/hooks';
import { api, type CreatedKey } from '../../api.js';
import { useAction } from '../../hooks.js';

export function MintKeyForm(props: { sessionId: string; onCreated: (key: CreatedKey) => void }) {
  const { busy, error, run } = useAction();
  const [label, setLabel] = useState('');
  return (
    <form
      class="mint-key"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          props.onCreated(await api.createKey(props.sessionId, label.trim() || undefined));
          setLabel('');
        });
      }}
    >
      <label for="key-label">Label (optional)</label>
      <div class="inline">
        <input id="key-label" value={label} maxLength={100} placeholder="e.g. CRM, shop backend" onInput={(e) => setLabel((e.target as HTMLInputElement).value)} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create key'}
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
