/**
 * The signed-in dashboard: the top bar (pages, live status, account) and the
 * page the URL hash names. One live event stream feeds every page.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { LiveEvents } from '../liveEvents.js';
import { parseRoute, routeHash, type Route } from '../route.js';
import { ApiKeysPage } from './ApiKeysPage.js';
import { EventsPage } from './EventsPage.js';
import { SecurityDialog } from './SecurityDialog.js';
import { SessionsPage } from './SessionsPage.js';
import { WebhooksPage } from './WebhooksPage.js';

const PAGES: Array<{ page: Route['page']; label: string }> = [
  { page: 'sessions', label: 'Sessions' },
  { page: 'webhooks', label: 'Webhooks' },
  { page: 'keys', label: 'API keys' },
  { page: 'events', label: 'Events' },
];

export function Dashboard(props: { onSignedOut: (notice?: string) => void; sandbox: boolean }) {
  const live = useMemo(() => new LiveEvents(), []);
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  const [online, setOnline] = useState(true);
  const [resumed, setResumed] = useState(0);
  const [security, setSecurity] = useState(false);
  const ended = () => {
    live.stop();
    props.onSignedOut('Your dashboard session ended. Sign in again.');
  };

  useEffect(() => {
    live.start({
      onOpen: () => {
        setOnline(true);
        setResumed((n) => n + 1); // pages catch up on anything missed while the stream was down
      },
      onError: () => {
        setOnline(false);
        api.me().catch((err: unknown) => {
          if (err instanceof ApiError && err.status === 401) ended();
        });
      },
    });
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => {
      live.stop();
      removeEventListener('hashchange', onHash);
    };
  }, []);

  const go = (next: Route) => {
    setRoute(next);
    history.replaceState(null, '', routeHash(next));
  };

  const signOut = async () => {
    try {
      await api.signOut();
    } finally {
      live.stop();
      props.onSignedOut('You are signed out.');
    }
  };

  return (
    <div class="layout">
      <header class="topbar">
        <h1>
          <span class="logo" aria-hidden="true" />
          wagate
          {props.sandbox && <span class="sandbox-tag">sandbox</span>}
        </h1>
        <p class={online ? 'live on' : 'live off'} role="status">
          {online ? 'Live' : 'Reconnecting…'}
        </p>
        <nav aria-label="Account" class="account">
          <button type="button" onClick={() => setSecurity(true)}>
            Security
          </button>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </nav>
        <nav aria-label="Pages" class="pages">
          {PAGES.map((p) => (
            <a key={p.page} href={`#/${p.page}`} aria-current={route.page === p.page ? 'page' : undefined}>
              {p.label}
            </a>
          ))}
        </nav>
      </header>
      {route.page === 'sessions' && (
        <SessionsPage live={live} resumed={resumed} selected={route.sessionId} onSelect={(sessionId) => go({ page: 'sessions', sessionId })} onSignedOut={ended} />
      )}
      {route.page === 'webhooks' && <WebhooksPage />}
      {route.page === 'keys' && <ApiKeysPage sessionId={route.sessionId} onSessionId={(sessionId) => go({ page: 'keys', sessionId })} />}
      {route.page === 'events' && <EventsPage live={live} />}
      {security && <SecurityDialog onClose={() => setSecurity(false)} />}
    </div>
  );
}
