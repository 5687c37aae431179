/** Webhooks: add one, and see, change, test, disable or delete each. */
import { useEffect, useState } from 'preact/hooks';
import { api, type WebhookView } from '../api.js';
import { useMounted } from '../hooks.js';
import { SecretNotice } from './webhooks/SecretNotice.js';
import { WebhookCard } from './webhooks/WebhookCard.js';
import { WebhookForm } from './webhooks/WebhookForm.js';

export function WebhooksPage() {
  const mounted = useMounted();
  const [webhooks, setWebhooks] = useState<WebhookView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [newSecret, setNewSecret] = useState<string | null>(null);

  const load = () =>
    api.listWebhooks().then(
      (list) => mounted.current && (setWebhooks(list), setError(null)),
      (err: unknown) => mounted.current && setError(err instanceof Error ? err.message : 'The webhooks could not be loaded.'),
    );
  useEffect(() => void load(), []);

  return (
    <main class="page">
      <section class="card" aria-labelledby="webhooks-title">
        <div class="section-head">
          <h2 id="webhooks-title">Webhooks</h2>
          {!adding && (
            <button type="button" class="primary" onClick={() => (setAdding(true), setNewSecret(null))}>
              Add webhook
            </button>
          )}
        </div>
        <p class="muted">Events are POSTed to each webhook as signed JSON; failed deliveries are retried for about two days.</p>
        {adding && (
          <WebhookForm
            withSession
            submitLabel="Add webhook"
            onCancel={() => setAdding(false)}
            onSubmit={async (fields) => {
              const created = await api.createWebhook(fields);
              setNewSecret(created.secret);
              setAdding(false);
              await load();
            }}
          />
        )}
        {newSecret && <SecretNotice secret={newSecret} />}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </section>
      {webhooks?.length === 0 && <p class="muted page-note">No webhooks yet.</p>}
      {webhooks && webhooks.length > 0 && (
        <ul class="webhook-list">
          {webhooks.map((w) => (
            <WebhookCard key={w.id} webhook={w} onChanged={() => void load()} />
          ))}
        </ul>
      )}
    </main>
  );
}
