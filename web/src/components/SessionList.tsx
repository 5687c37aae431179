/**
 * The session list: the create form, search and sort, the state filter with
 * its counts, one page of sessions with checkboxes for bulk actions, and the pager.
 */
import { useEffect, useState } from 'preact/hooks';
import type { SessionPageState } from '../sessionPage.js';
import { BulkBar } from './BulkBar.js';
import { CreateSessionForm } from './CreateSessionForm.js';
import { Pager } from './Pager.js';
import { SessionRows } from './SessionRows.js';
import { SessionSearch } from './SessionSearch.js';
import { StateFilter } from './StateFilter.js';

/** From this many sessions on, the create form starts folded, so the list comes first. */
const FOLD_CREATE_FORM_AT = 10;

export function SessionList(props: {
  state: SessionPageState;
  selected: string | null;
  onSelect: (sessionId: string) => void;
  onCreate: (input: { sessionId?: string; displayName?: string }) => Promise<void>;
}) {
  const { page, filters, setFilters } = props.state;
  const [checked, setChecked] = useState<ReadonlySet<string>>(new Set());
  // A selection belongs to the page it was made on.
  useEffect(() => setChecked(new Set()), [filters, props.state.pageNumber]);

  return (
    <section class="card session-list" aria-labelledby="sessions-title">
      <h2 id="sessions-title">
        Sessions {page && <span class="count" data-total-sessions={page.all}>({page.all})</span>}
      </h2>
      {page && <CreateSessionForm startOpen={page.all < FOLD_CREATE_FORM_AT} onCreate={props.onCreate} />}
      <SessionSearch filters={filters} onChange={setFilters} />
      {page && <StateFilter counts={page.counts} selected={filters.state} onChange={(state) => setFilters({ state })} />}
      {page && page.sessions.length > 0 && (
        <BulkBar sessions={page.sessions} checked={checked} onChecked={setChecked} onDone={() => void props.state.refresh()} />
      )}
      {page === null ? (
        <p class="muted">Loading sessions…</p>
      ) : page.sessions.length === 0 ? (
        <p class="muted">{page.all === 0 ? 'No sessions yet. Create one above to link a WhatsApp account.' : 'No session matches.'}</p>
      ) : (
        <SessionRows sessions={page.sessions} selected={props.selected} checked={checked} onChecked={setChecked} onSelect={props.onSelect} />
      )}
      {page && <Pager state={props.state} />}
    </section>
  );
}
