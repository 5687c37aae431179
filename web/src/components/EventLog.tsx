/** One session's history (persisted state changes with reasons) followed live. */
import { useEffect, useState } from 'preact/hooks';
import { api, type GatewayEvent } from '../api.js';
import { describeEvent, time, withoutEchoes } from '../format.js';
import { useLiveEvents, useMounted } from '../hooks.js';
import type { LiveEvents } from '../liveEvents.js';

const MAX_EVENTS = 100;

export function EventLog(props: { sessionId: string; live: LiveEvents }) {
  const mounted = useMounted();
  const [events, setEvents] = useState<GatewayEvent[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setEvents([]);
    setError(null);
    api.history(props.sessionId).then(
      (result) => {
        if (!mounted.current) return;
        // Merge with live events that arrived while history loaded.
        setEvents((live) => merge(result.events, live));
      },
      (err: unknown) => mounted.current && setError(err instanceof Error ? err.message : 'The history could not be loaded.'),
    );
  }, [props.sessionId]);

  useLiveEvents(props.live, (event) => {
    if (event.sessionId === props.sessionId) setEvents((current) => merge(current, [event]));
  });

  const newestFirst = withoutEchoes(events).reverse();
  return (
    <section class="card event-log" aria-labelledby="event-log-title">
      <h3 id="event-log-title">Event log</h3>
      {error && <p class="error">{error}</p>}
      {newestFirst.length === 0 && !error ? <p class="muted">No events yet.</p> : null}
      <div role="log" aria-live="polite" aria-relevant="additions" aria-labelledby="event-log-title">
      <ol>
        {newestFirst.map((event) => (
          <li key={event.id} data-event-type={event.type}>
            <time dateTime={event.createdAt}>{time(event.createdAt)}</time>
            <span>{describeEvent(event.type, event.data)}</span>
          </li>
        ))}
      </ol>
      </div>
    </section>
  );
}

function merge(a: GatewayEvent[], b: GatewayEvent[]): GatewayEvent[] {
  const byKey = new Map<string, GatewayEvent>();
  // Persisted history may number events differently from the live feed, so match on content.
  for (const event of [...a, ...b]) byKey.set(`${event.type}|${event.createdAt}|${JSON.stringify(event.data)}`, event);
  return [...byKey.values()]
    .sort((x, y) => x.createdAt.localeCompare(y.createdAt) || x.id - y.id)
    .slice(-MAX_EVENTS);
}
