/** Confirm revoking a key: apps using it are refused from then on. */
import { api, type ApiKeyInfo } from '../../api.js';
import { useAction } from '../../hooks.js';
import { Modal } from '../Modal.js';

export function RevokeKeyDialog(props: { sessionId: string; info: ApiKeyInfo; onClose: () => void; onRevoked: () => void }) {
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
