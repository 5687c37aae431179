/**
 * The sessions page: the searchable, paged list beside the chosen session's
 * detail (remembered in the URL hash).
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { LiveEvents } from '../liveEvents.js';
import { useSelectedSession } from '../selectedSession.js';
import { useSessionPage } from '../sessionPage.js';
import { SessionDetail } from './SessionDetail.js';
import { SessionList } from './SessionList.js';

export function SessionsPage(props: {
  live: LiveEvents;
  /** Bumped when the live stream (re)opens: time to catch up. */
  resumed: number;
  selected: string | null;
  onSelect: (sessionId: string | null) => void;
  onSignedOut: () => void;
}) {
  const list = useSessionPage(props.live, props.onSignedOut);
  const selected = useSelectedSession(props.live, props.selected);
  // The session just created from this page: its QR is brought into view when it appears.
  const [justCreated, setJustCreated] = useState<string | null>(null);

  // Every stream open, the first included: a session changed between the first list
  // load and the stream's start (no event reached this page) must still show.
  useEffect(() => {
    if (props.resumed > 0) void list.refresh();
  }, [props.resumed]);

  const select = (sessionId: string | null) => {
    props.onSelect(sessionId);
    // Move focus (and, on a phone, the view) to the session just chosen, so screen readers follow.
    if (sessionId) requestAnimationFrame(() => document.getElementById('detail-title')?.focus());
  };

  return (
    <>
      {list.error && (
        <p class="error banner" role="alert">
          {list.error}
        </p>
      )}
      <main class="columns">
        <SessionList
          state={list}
          selected={props.selected}
          onSelect={select}
          onCreate={async (input) => {
            const view = await api.createSession(input);
            setJustCreated(view.sessionId);
            select(view.sessionId);
            selected.set(await api.connect(view.sessionId));
            void list.refresh();
          }}
        />
        {selected.session ? (
          <SessionDetail
            key={selected.session.sessionId}
            session={selected.session}
            live={props.live}
            revealQr={justCreated === selected.session.sessionId}
            onChanged={(view) => {
              selected.set(view);
              list.upsert(view);
            }}
            onDeleted={() => {
              select(null);
              void list.refresh();
            }}
          />
        ) : (
          <section class="card empty-detail">
            <p class="muted">
              {selected.missing ? 'That session no longer exists.' : 'Select a session to see its state, link it, and read its event log.'}
            </p>
          </section>
        )}
      </main>
    </>
  );
}
