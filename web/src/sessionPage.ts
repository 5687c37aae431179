/**
 * The session list as the page holds it: one server-side page of sessions
 * for the current search, state filter and sort, the counts per state, and
 * the cursors to page back and forth. Live events patch a listed session's
 * state at once and schedule one refetch shortly after, so a burst of events
 * (a bulk connect of hundreds) costs a few requests, not one per event.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, type SessionPage, type SessionQuery, type SessionSort, type SessionState, type SessionView } from './api.js';
import { useLiveEvents } from './hooks.js';
import type { LiveEvents } from './liveEvents.js';

export const PAGE_SIZE = 25;
const REFETCH_DELAY_MS = 400;

export interface Filters {
  q: string;
  state: SessionState | null;
  sort: SessionSort;
}

export interface SessionPageState {
  page: SessionPage | null;
  filters: Filters;
  setFilters: (change: Partial<Filters>) => void;
  /** 1-based number of the page shown. */
  pageNumber: number;
  next: (() => void) | null;
  previous: (() => void) | null;
  refresh: () => Promise<void>;
  upsert: (view: SessionView) => void;
  error: string | null;
}

export function useSessionPage(live: LiveEvents, onSignedOut: () => void): SessionPageState {
  const [filters, setFiltersState] = useState<Filters>({ q: '', state: null, sort: 'created' });
  // cursors[i] opens page i+1; the first page has none.
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [page, setPage] = useState<SessionPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const cursor = cursors[cursors.length - 1];
  const load = useCallback(async () => {
    const ticket = ++latest.current;
    const query: SessionQuery = { sort: filters.sort, limit: PAGE_SIZE, cursor };
    if (filters.q.trim()) query.q = filters.q.trim();
    if (filters.state) query.state = filters.state;
    try {
      const next = await api.listSessions(query);
      if (ticket !== latest.current) return; // an older answer after a newer question
      // A page emptied by deletions or filtering falls back to the first.
      if (next.sessions.length === 0 && cursors.length > 1) {
        setCursors([undefined]);
        return;
      }
      setPage(next);
      setError(null);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) onSignedOut();
      else setError(err instanceof Error ? err.message : 'The sessions could not be loaded.');
    }
  }, [filters, cursor, cursors.length]);

  // The refetch timer calls whatever query is current when it fires, not the one it was set under.
  const latestLoad = useRef(load);
  latestLoad.current = load;

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => () => clearTimeout(timer.current), []);

  const scheduleRefetch = () => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      void latestLoad.current();
    }, REFETCH_DELAY_MS);
  };

  const upsert = useCallback((view: SessionView) => {
    setPage((current) => {
      if (!current) return current;
      const index = current.sessions.findIndex((s) => s.sessionId === view.sessionId);
      if (index < 0) return current;
      const sessions = current.sessions.slice();
      sessions[index] = view;
      return { ...current, sessions };
    });
  }, []);

  useLiveEvents(live, (event) => {
    if (event.type === 'connection.state' && typeof event.data.state === 'string') {
      const state = event.data.state as SessionState;
      setPage((current) => {
        if (!current || !current.sessions.some((s) => s.sessionId === event.sessionId)) return current;
        return { ...current, sessions: current.sessions.map((s) => (s.sessionId === event.sessionId ? { ...s, state } : s)) };
      });
    }
    if (event.type === 'auth.qr') return; // a rotated QR changes nothing the list shows
    scheduleRefetch();
  });

  const setFilters = (change: Partial<Filters>) => {
    setFiltersState((current) => ({ ...current, ...change }));
    setCursors([undefined]);
  };

  return {
    page,
    filters,
    setFilters,
    pageNumber: cursors.length,
    next: page?.nextCursor ? () => setCursors((list) => [...list, page.nextCursor ?? undefined]) : null,
    previous: cursors.length > 1 ? () => setCursors((list) => list.slice(0, -1)) : null,
    refresh: load,
    upsert,
    error,
  };
}
