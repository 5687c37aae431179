/**
 * API keys of one session: mint one with a label (the key is shown once),
 * list them, revoke one. The admin key itself is not managed here.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type ApiKeyInfo, type CreatedKey } from '../api.js';
import { time } from '../format.js';
import { useAction, useMounted } from '../hooks.js';
import { Modal } from './Modal.js';

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

function SessionKeys(props: { sessionId: string }) {
  const mounted = useMounted();
  const [keys, setKeys] = useState<ApiKeyInfo[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyInfo | null>(null);

  const load = () =>
    api.listKeys(props.sessionId).then(
      (list) => mounted.current && (setKeys(list), setLoadError(null)),
      (err: unknown) => mounted.current && setLoadError(err instanceof Error ? err.message : 'The keys could not be loaded.'),
    );
  useEffect(() => void load(), []);

  return (
    <section class="card" aria-labelledby="session-keys-title">
      <h3 id="session-keys-title">Keys of “{props.sessionId}”</h3>
      {loadError && (
        <p class="error" role="alert">
          {loadError}
        </p>
      )}
      {keys && !loadError && (
        <>
          <MintKeyForm
            sessionId={props.sessionId}
            onCreated={(key) => {
              setCreated(key);
              void load();
            }}
          />
          {created && <NewKeyNotice created={created} />}
          <KeyTable keys={keys} onRevoke={setRevoking} />
        </>
      )}
      {revoking && (
        <RevokeKeyDialog
          sessionId={props.sessionId}
          info={revoking}
          onClose={() => setRevoking(null)}
          onRevoked={() => {
            setRevoking(null);
            if (created?.keyId === revoking.keyId) setCreated(null);
            void load();
          }}
        />
      )}
    </section>
  );
}

function MintKeyForm(props: { sessionId: string; onCreated: (key: CreatedKey) => void }) {
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

function NewKeyNotice(props: { created: CreatedKey }) {
  return (
    <div class="notice new-key" role="status">
      <p>
        New key{props.created.label ? ` “${props.created.label}”` : ''}. Copy it now: it is not shown again.
      </p>
      <code class="secret" data-new-key={props.created.key}>
        {props.created.key}
      </code>
    </div>
  );
}

function KeyTable(props: { keys: ApiKeyInfo[]; onRevoke: (info: ApiKeyInfo) => void }) {
  if (props.keys.length === 0) return <p class="muted">This session has no keys yet.</p>;
  return (
    <div class="table-wrap">
      <table class="keys">
        <thead>
          <tr>
            <th scope="col">Label</th>
            <th scope="col">Key id</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.keys.map((k) => (
            <tr key={k.keyId} data-key-id={k.keyId}>
              <td>{k.label ?? '—'}</td>
              <td>
                <code>{k.keyId}</code>
              </td>
              <td>{time(k.createdAt)}</td>
              <td>{k.lastUsedAt ? time(k.lastUsedAt) : 'Never'}</td>
              <td>
                <button type="button" class="danger-outline" onClick={() => props.onRevoke(k)}>
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RevokeKeyDialog(props: { sessionId: string; info: ApiKeyInfo; onClose: () => void; onRevoked: () => void }) {
  const { busy, error, run } = useAction();
  return (
    <Modal title={`Revoke the key “${props.info.label ?? props.info.keyId}”?`} tone="danger" onClose={props.onClose}>
      <p>Apps using this key are refused from now on. This cannot be undone; create a new key for them instead.</p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => void run(async () => (await api.revokeKey(props.sessionId, props.info.keyId), props.onRevoked()))}>
          Revoke key
        </button>
      </div>
    </Modal>
  );
}
