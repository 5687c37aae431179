/**
 * The one session the detail view shows, fetched by id (it need not be on
 * the list's current page) and fetched again whenever one of its events arrives.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, type SessionView } from './api.js';
import { useLiveEvents, useMounted } from './hooks.js';
import type { LiveEvents } from './liveEvents.js';

export function useSelectedSession(
  live: LiveEvents,
  sessionId: string | null,
): { session: SessionView | null; missing: boolean; set: (view: SessionView) => void } {
  const mounted = useMounted();
  const [session, setSession] = useState<SessionView | null>(null);
  const [missing, setMissing] = useState(false);
  const current = useRef(sessionId);
  current.current = sessionId;

  const fetchIt = (id: string) =>
    api.getSession(id).then(
      (view) => {
        if (!mounted.current || view.sessionId !== current.current) return;
        setSession(view);
        setMissing(false);
      },
      (err: unknown) => {
        if (mounted.current && err instanceof ApiError && err.code === 'SESSION_NOT_FOUND') {
          setSession(null);
          setMissing(true);
        }
      },
    );

  useEffect(() => {
    setSession(null);
    setMissing(false);
    if (sessionId) void fetchIt(sessionId);
  }, [sessionId]);

  useLiveEvents(live, (event) => {
    if (!sessionId || event.sessionId !== sessionId) return;
    if (event.type === 'session.deleted') {
      setSession(null);
      setMissing(true);
      return;
    }
    if (event.type !== 'auth.qr') void fetchIt(sessionId);
  });

  return { session: session?.sessionId === sessionId ? session : null, missing, set: (view) => view.sessionId === current.current && setSession(view) };
}
