/** One session's keys: the mint form, the key just made, the table, the revoke dialog. */
import { useEffect, useState } from 'preact/hooks';
import { api, type ApiKeyInfo, type CreatedKey } from '../../api.js';
import { useMounted } from '../../hooks.js';
import { KeyTable } from './KeyTable.js';
import { MintKeyForm } from './MintKeyForm.js';
import { NewKeyNotice } from './NewKeyNotice.js';
import { RevokeKeyDialog } from './RevokeKeyDialog.js';

export function SessionKeys(props: { sessionId: string }) {
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
