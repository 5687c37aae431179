/** Confirm deleting a webhook: it gets no more events and its pending deliveries go. */
import { api, type WebhookView } from '../../api.js';
import { useAction } from '../../hooks.js';
import { Modal } from '../Modal.js';

export function DeleteWebhookDialog(props: { webhook: WebhookView; onClose: () => void; onDeleted: () => void }) {
  const { busy, error, run } = useAction();
  return (
    <Modal title="Delete this webhook?" tone="danger" onClose={props.onClose}>
      <p>
        <code>{props.webhook.url}</code> gets no more events, and its pending deliveries are dropped.
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => void run(async () => (await api.deleteWebhook(props.webhook.id), props.onDeleted()))}>
          Delete webhook
        </button>
      </div>
    </Modal>
  );
}
