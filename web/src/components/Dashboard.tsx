/**
 * The signed-in dashboard: the session list kept current by the live event
 * stream, and the selected session's detail (remembered in the URL hash).
 */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api, type SessionView } from '../api.js';
import { useLiveEvents } from '../hooks.js';
import { LiveEvents } from '../liveEvents.js';
import { SecurityDialog } from './SecurityDialog.js';
import { SessionDetail } from './SessionDetail.js';
import { SessionList } from './SessionList.js';

function hashSession(): string | null {
  const match = /^#\/sessions\/(.+)$/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : null;
}

export function Dashboard(props: { onSignedOut: (notice?: string) => void; sandbox: boolean }) {
  const live = useMemo(() => new LiveEvents(), []);
  const [sessions, setSessions] = useState<SessionView[]>([]);
  const [selected, setSelected] = useState<string | null>(hashSession());
  const [online, setOnline] = useState(true);
  const [security, setSecurity] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const upsert = useCallback((view: SessionView) => {
    setSessions((list) => {
      const index = list.findIndex((s) => s.sessionId === view.sessionId);
      if (index < 0) return [...list, view];
      const next = list.slice();
      next[index] = view;
      return next;
    });
  }, []);

  const refreshAll = useCallback(async () => {
    try {
      const result = await api.listSessions();
      setSessions(result.sessions);
      setError(null);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) props.onSignedOut('Your dashboard session ended. Sign in again.');
      else setError(err instanceof Error ? err.message : 'The sessions could not be loaded.');
    }
  }, []);

  useEffect(() => {
    void refreshAll();
    live.start({
      onOpen: () => {
        setOnline(true);
        void refreshAll(); // catch up on anything missed while the stream was down
      },
      onError: () => {
        setOnline(false);
        api.me().catch((err: unknown) => {
          if (err instanceof ApiError && err.status === 401) {
            live.stop();
            props.onSignedOut('Your dashboard session ended. Sign in again.');
          }
        });
      },
    });
    const onHash = () => setSelected(hashSession());
    addEventListener('hashchange', onHash);
    return () => {
      live.stop();
      removeEventListener('hashchange', onHash);
    };
  }, []);

  useLiveEvents(live, (event) => {
    if (event.type === 'session.deleted') {
      setSessions((list) => list.filter((s) => s.sessionId !== event.sessionId));
      return;
    }
    api.getSession(event.sessionId).then(upsert, () => {});
  });

  const select = (sessionId: string | null) => {
    setSelected(sessionId);
    history.replaceState(null, '', sessionId ? `#/sessions/${encodeURIComponent(sessionId)}` : '#');
    // Move focus (and, on a phone, the view) to the session just chosen, so screen readers follow.
    if (sessionId) requestAnimationFrame(() => document.getElementById('detail-title')?.focus());
  };

  const signOut = async () => {
    try {
      await api.signOut();
    } finally {
      live.stop();
      props.onSignedOut('You are signed out.');
    }
  };

  const current = sessions.find((s) => s.sessionId === selected) ?? null;

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
        <nav aria-label="Account">
          <button type="button" onClick={() => setSecurity(true)}>
            Security
          </button>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </nav>
      </header>
      {error && (
        <p class="error banner" role="alert">
          {error}
        </p>
      )}
      <main class="columns">
        <SessionList
          sessions={sessions}
          selected={selected}
          onSelect={select}
          onCreate={async (input) => {
            const view = await api.createSession(input);
            upsert(view);
            select(view.sessionId);
            upsert(await api.connect(view.sessionId));
          }}
        />
        {current ? (
          <SessionDetail
            key={current.sessionId}
            session={current}
            live={live}
            onChanged={upsert}
            onDeleted={(id) => {
              setSessions((list) => list.filter((s) => s.sessionId !== id));
              select(null);
            }}
          />
        ) : (
          <section class="card empty-detail">
            <p class="muted">Select a session to see its state, link it, and read its event log.</p>
          </section>
        )}
      </main>
      {security && <SecurityDialog onClose={() => setSecurity(false)} />}
    </div>
  );
}
