/** Small hooks shared by the components. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { LiveEvents, LiveListener } from './liveEvents.js';

/** The current time, refreshed every `everyMs` while mounted. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** Subscribe to live events for as long as the component is mounted. */
export function useLiveEvents(live: LiveEvents, listener: LiveListener): void {
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => live.subscribe((event) => latest.current(event)), [live]);
}

/** False after unmount, so async work does not update a component that is gone. */
export function useMounted(): { readonly current: boolean } {
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  return mounted;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs one user action at a time: `busy` while it runs, its failure's message in `error`. */
export function useAction(): { busy: boolean; error: string | null; setError: (message: string | null) => void; run: (work: () => Promise<void>) => Promise<void> } {
  const mounted = useMounted();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      if (mounted.current) setError(err instanceof Error ? err.message : 'The action failed.');
    } finally {
      if (mounted.current) setBusy(false);
    }
  };
  return { busy, error, setError, run };
}
