/** A webhook's recent deliveries, newest first, refreshed while open, each with a Replay button. */
import { useEffect, useState } from 'preact/hooks';
import { api, type DeliveryView } from '../../api.js';
import { time } from '../../format.js';
import { useAction, useMounted } from '../../hooks.js';

const REFRESH_MS = 2000;

export function DeliveryList(props: { webhookId: string; /** Bumped by the card after a test was sent. */ version: number }) {
  const mounted = useMounted();
  const [deliveries, setDeliveries] = useState<DeliveryView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const replay = useAction();

  const load = async (): Promise<void> => {
    try {
      const page = await api.deliveries(props.webhookId);
      if (!mounted.current) return;
      setDeliveries(page.data);
      setError(null);
    } catch (err) {
      if (mounted.current) setError(err instanceof Error ? err.message : 'The deliveries could not be loaded.');
    }
  };

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [props.version]);

  return (
    <div class="deliveries">
      <h4>Deliveries</h4>
      {error && <p class="error">{error}</p>}
      {replay.error && (
        <p class="error" role="alert">
          {replay.error}
        </p>
      )}
      {deliveries?.length === 0 && <p class="muted">Nothing sent yet. Send a test to see one here.</p>}
      {deliveries && deliveries.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Answer</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr key={d.id} data-delivery-id={d.id} data-status={d.status}>
                  <td>
                    <code>{d.eventType}</code>
                    <span class="session-id"> {d.sessionId}</span>
                  </td>
                  <td>
                    <span class={`badge tone-${d.status === 'delivered' ? 'ok' : d.status === 'failed' ? 'bad' : 'wait'}`}>{d.status}</span>
                  </td>
                  <td>{d.attempts}</td>
                  <td>{d.lastStatusCode ?? d.lastError ?? '—'}</td>
                  <td>{time(d.createdAt)}</td>
                  <td>
                    <button
                      type="button"
                      disabled={replay.busy}
                      onClick={() => void replay.run(async () => (await api.replayDelivery(props.webhookId, d.id), await load()))}
                    >
                      Replay
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
