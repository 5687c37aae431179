/**
 * Every session's recent events (what the gateway still holds in memory)
 * followed live, filtered by session and by event type.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type GatewayEvent } from '../api.js';
import { describeEvent, time, withoutEchoes } from '../format.js';
import { useLiveEvents, useMounted } from '../hooks.js';
import type { LiveEvents } from '../liveEvents.js';
import { GATEWAY_EVENT_TYPES } from '../../../src/core/model.js';

const KEEP = 500;

export function EventsPage(props: { live: LiveEvents }) {
  const mounted = useMounted();
  const [events, setEvents] = useState<GatewayEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [session, setSession] = useState('');
  const [type, setType] = useState('');

  useEffect(() => {
    api.recentEvents().then(
      (result) => mounted.current && setEvents((live) => merge(result.events, live)),
      (err: unknown) => mounted.current && setError(err instanceof Error ? err.message : 'The events could not be loaded.'),
    );
  }, []);

  useLiveEvents(props.live, (event) => setEvents((current) => merge(current, [event])));

  const needle = session.trim().toLowerCase();
  const shown = withoutEchoes(events)
    .filter((e) => (!type || e.type === type) && (!needle || e.sessionId.toLowerCase().includes(needle)))
    .reverse();

  return (
    <main class="page">
      <section class="card event-log events-page" aria-labelledby="events-title">
        <h2 id="events-title">Events</h2>
        <div class="list-tools" role="search">
          <div class="grow">
            <label for="events-session">Session</label>
            <input id="events-session" type="search" value={session} placeholder="Any session" autoComplete="off" onInput={(e) => setSession((e.target as HTMLInputElement).value)} />
          </div>
          <div>
            <label for="events-type">Type</label>
            <select id="events-type" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
              <option value="">All types</option>
              {GATEWAY_EVENT_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
        </div>
        {error && <p class="error">{error}</p>}
        <p class="muted" data-shown={shown.length}>
          {shown.length} of {events.length} recent events
        </p>
        <div role="log" aria-live="polite" aria-relevant="additions" aria-labelledby="events-title">
          <ol>
            {shown.map((event) => (
              <li key={event.id} data-event-type={event.type} data-session-id={event.sessionId}>
                <time dateTime={event.createdAt}>{time(event.createdAt)}</time>
                <span>
                  <a href={`#/sessions/${encodeURIComponent(event.sessionId)}`} class="session-id">
                    {event.sessionId}
                  </a>{' '}
                  {describeEvent(event.type, event.data)}
                </span>
              </li>
            ))}
          </ol>
        </div>
      </section>
    </main>
  );
}

function merge(a: GatewayEvent[], b: GatewayEvent[]): GatewayEvent[] {
  const byId = new Map<number, GatewayEvent>();
  for (const event of [...a, ...b]) byId.set(event.id, event);
  return [...byId.values()].sort((x, y) => x.id - y.id).slice(-KEEP);
}
