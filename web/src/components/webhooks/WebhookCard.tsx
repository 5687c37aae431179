/** One webhook: where it goes and what it gets, its health, and what can be done with it. */
import { useState } from 'preact/hooks';
import { api, type WebhookView } from '../../api.js';
import { time } from '../../format.js';
import { useAction } from '../../hooks.js';
import { DeleteWebhookDialog } from './DeleteWebhookDialog.js';
import { DeliveryList } from './DeliveryList.js';
import { SecretNotice } from './SecretNotice.js';
import { WebhookForm } from './WebhookForm.js';

export function WebhookCard(props: { webhook: WebhookView; onChanged: () => void }) {
  const { webhook } = props;
  const action = useAction();
  const [editing, setEditing] = useState(false);
  const [showDeliveries, setShowDeliveries] = useState(false);
  const [version, setVersion] = useState(0);
  const [secret, setSecret] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);

  const update = (input: Parameters<typeof api.updateWebhook>[1]) =>
    action.run(async () => {
      const updated = await api.updateWebhook(webhook.id, input);
      if (updated.secret) setSecret(updated.secret);
      props.onChanged();
    });

  const sendTest = () =>
    action.run(async () => {
      await api.testWebhook(webhook.id);
      setShowDeliveries(true);
      setVersion((v) => v + 1);
    });

  return (
    <li class="card webhook" data-webhook-id={webhook.id} data-enabled={String(webhook.enabled)}>
      <div class="webhook-head">
        <code class="webhook-url">{webhook.url}</code>
        <span class={`badge tone-${webhook.enabled ? (webhook.failingSince ? 'wait' : 'ok') : 'idle'}`}>
          {webhook.enabled ? (webhook.failingSince ? 'Failing' : 'Enabled') : 'Disabled'}
        </span>
      </div>
      <p class="muted">
        {webhook.events.includes('*') ? 'All events' : webhook.events.join(', ')} · {webhook.sessionId ? `session ${webhook.sessionId}` : 'every session'}
      </p>
      {webhook.disabledReason && <p class="notice">Disabled by the gateway: {webhook.disabledReason}</p>}
      {webhook.failingSince && <p class="notice">Deliveries have failed since {time(webhook.failingSince)}; they are retried.</p>}
      {secret && <SecretNotice secret={secret} />}
      {editing ? (
        <WebhookForm
          initial={{ url: webhook.url, events: webhook.events }}
          withSession={false}
          submitLabel="Save"
          onCancel={() => setEditing(false)}
          onSubmit={async (fields) => {
            await api.updateWebhook(webhook.id, { url: fields.url, events: fields.events });
            setEditing(false);
            props.onChanged();
          }}
        />
      ) : (
        <div class="actions" role="group" aria-label="Webhook actions">
          <button type="button" onClick={() => setEditing(true)}>
            Edit
          </button>
          <button type="button" disabled={action.busy} onClick={() => void update({ enabled: !webhook.enabled })}>
            {webhook.enabled ? 'Disable' : 'Enable'}
          </button>
          <button type="button" disabled={action.busy || !webhook.enabled} onClick={() => void sendTest()}>
            Send a test
          </button>
          <button type="button" aria-expanded={showDeliveries} onClick={() => setShowDeliveries(!showDeliveries)}>
            Deliveries
          </button>
          <button type="button" disabled={action.busy} onClick={() => void update({ rotateSecret: true })}>
            New secret
          </button>
          <button type="button" class="danger-outline" onClick={() => setDeleting(true)}>
            Delete
          </button>
        </div>
      )}
      {action.error && (
        <p class="error" role="alert">
          {action.error}
        </p>
      )}
      {showDeliveries && <DeliveryList webhookId={webhook.id} version={version} />}
      {deleting && <DeleteWebhookDialog webhook={webhook} onClose={() => setDeleting(false)} onDeleted={props.onChanged} />}
    </li>
  );
}
